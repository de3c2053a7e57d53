-- wrk script: POSTs the JSON bodies of BODIES_FILE in turn (one per line) to PATH with the API key in KEY.
local bodies = {}
local index = 0

init = function(args)
  for line in io.lines(os.getenv("BODIES_FILE")) do
    bodies[#bodies + 1] = line
  end
  index = math.random(#bodies)
end

request = function()
  index = index % #bodies + 1
  return wrk.format("POST", os.getenv("REQUEST_PATH"), {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("KEY"),
  }, bodies[index])
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d rps=%.1f p50=%.2f p90=%.2f p99=%.2f max=%.2f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
