// This machine's limits, measured rather than quoted: the read bandwidth of a dot-product scan over a buffer as large
// as 200k x 384 float32 vectors (307 MB, far beyond the L3 cache), on one thread and on every core. Sift's exact vector
// scan is reported as a share of the one-thread figure. Build and run: benchmarks/run-probe.sh
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define DIMENSIONS 384
#define VECTORS 200000
#define PASSES 7

static float *data;
static float query[DIMENSIONS];

typedef struct { size_t first, last; float best; } Slice;

static void *scan(void *argument) {
    Slice *slice = argument;
    float best = -1e30f;
    for (size_t v = slice->first; v < slice->last; v++) {
        const float *row = data + v * DIMENSIONS;
        float sum = 0;
        for (int d = 0; d < DIMENSIONS; d++) sum += row[d] * query[d];
        if (sum > best) best = sum;
    }
    slice->best = best;
    return NULL;
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static int compare(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

static double measure(int threads) {
    pthread_t ids[64];
    Slice slices[64];
    double rates[PASSES];
    for (int pass = 0; pass < PASSES; pass++) {
        double start = now();
        for (int t = 0; t < threads; t++) {
            slices[t].first = (size_t)VECTORS * t / threads;
            slices[t].last = (size_t)VECTORS * (t + 1) / threads;
            pthread_create(&ids[t], NULL, scan, &slices[t]);
        }
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
        rates[pass] = (double)VECTORS * DIMENSIONS * sizeof(float) / (now() - start) / 1e9;
    }
    qsort(rates, PASSES, sizeof(double), compare);
    printf("%d thread(s): %.1f GB/s (median of %d passes; min %.1f, max %.1f)\n", threads, rates[PASSES / 2], PASSES, rates[0], rates[PASSES - 1]);
    return rates[PASSES / 2];
}

int main(void) {
    data = aligned_alloc(64, (size_t)VECTORS * DIMENSIONS * sizeof(float));
    for (size_t i = 0; i < (size_t)VECTORS * DIMENSIONS; i++) data[i] = (float)(i % 97) / 97.0f;
    for (int d = 0; d < DIMENSIONS; d++) query[d] = 1.0f / (d + 1);
    measure(1); // warm-up: page faults, frequency
    measure(1);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    measure(cores > 64 ? 64 : (int)cores);
    free(data);
    return 0;
}
