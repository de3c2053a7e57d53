#!/usr/bin/env bash
# Regenerates the console screenshots in docs/images (every page at 1280 px and at a 390-px phone width, and the
# playground in the dark theme) by running the browser test that visits every page, with SIFT_SCREENSHOTS set.
# Needs Debian's chromium (./test.sh installs it); nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/docs/images"
mkdir -p "$out"
SIFT_SCREENSHOTS="$out" dotnet test --project tests/Sift.Tests -- --filter-method '*EveryPageFitsAPhoneKeepsToThePolicyAndIsPhotographed'
ls -1 "$out"/console-*.png
