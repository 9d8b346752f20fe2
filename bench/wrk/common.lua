-- Shared by the scenario scripts: prints one parseable line when wrk is done.
-- Latencies in microseconds. errors_status = responses with a status >= 400 (wrk's rule).
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRKRESULT requests=%d duration_us=%d bytes=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
