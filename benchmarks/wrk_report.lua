-- The wrk script of the province benchmark (benchmarks/province.py).
--
-- Usage: wrk -t2 -c16 -d10s -s benchmarks/wrk_report.lua -H "Cookie: session=..." \
--            http://127.0.0.1:PORT -- REQUEST_FILE
--
-- REQUEST_FILE holds one request per line: a path, optionally followed by a tab and a Cookie
-- header value for that request (to mix users in one run; the page runs use -H instead).
-- The harness has already filled in {customer_id} and {query}, one line per value, so rotating
-- through the lines rotates the customers and search terms.
-- There is deliberately no "stop after N requests": a wrk thread that stops keeps its
-- connections open until the -d duration is over, and a sync gunicorn worker that accepted one
-- waits on it until its timeout kills it (province.py drives fixed counts itself).
-- done() prints one JSON line: requests, rps, p50/p95/p99 latency in ms, errors (non-2xx
-- responses plus socket errors and timeouts), and the non-2xx statuses seen.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_number", thread_count)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "r"), "cannot open the request file " .. tostring(args[1]))
   requests_list = {}
   for line in file:lines() do
      if line ~= "" then
         local path, cookie = line:match("^([^\t]+)\t(.+)$")
         if path then
            local headers = {}
            for name, value in pairs(wrk.headers) do headers[name] = value end
            headers["Cookie"] = cookie
            table.insert(requests_list, wrk.format("GET", path, headers))
         else
            table.insert(requests_list, wrk.format("GET", line))
         end
      end
   end
   file:close()
   assert(#requests_list > 0, "the request file is empty")
   -- Threads start at different places so two threads do not ask for the same customer at once.
   position = ((thread_number or 1) - 1) * math.floor(#requests_list / 2)
   bad_responses = 0
   bad_statuses = ""
end

function request()
   position = position % #requests_list + 1
   return requests_list[position]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      bad_responses = bad_responses + 1
      if #bad_statuses < 200 then bad_statuses = bad_statuses .. status .. " " end
   end
end

function done(summary, latency, requests)
   local bad, statuses = 0, ""
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("bad_responses") or 0)
      statuses = statuses .. (thread:get("bad_statuses") or "")
   end
   local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout
   local seconds = summary.duration / 1e6
   io.write(string.format(
      '{"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, ' ..
      '"p99_ms": %.3f, "max_ms": %.3f, "errors": %d, "non_2xx": %d, "socket_errors": %d, ' ..
      '"bad_statuses": "%s"}\n',
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, bad + socket_errors, bad, socket_errors, statuses:sub(1, 200)))
end
