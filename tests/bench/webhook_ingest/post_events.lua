-- wrk script: POST pre-signed request bodies, each one once, and report as one JSON line.
--
-- wrk -s post_events.lua URL -- <path> <events file> <signature header> <wrk threads>
--
-- The events file has one request a line, "<signature>\t<body>". Signing happens beforehand in
-- Python (LuaJIT has no HMAC): every request is then a distinct, validly signed event, so the
-- server does the full work each time instead of answering a duplicate. Thread i of n takes
-- lines i, i+n, i+2n… so that no two threads send the same event. When a thread runs out it
-- starts over, and "wrapped" says so: the figures then include duplicates.

local threads = {}
local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

function init(args)
   local path, events_file, header, nthreads = args[1], args[2], args[3], tonumber(args[4])
   prepared = {}
   local line_no = 0
   for line in io.lines(events_file) do
      if line_no % nthreads == tid then
         local signature, body = line:match("^(%S*)\t(.*)$")
         local headers = { ["Content-Type"] = "application/json" }
         headers[header] = signature
         prepared[#prepared + 1] = wrk.format("POST", path, headers, body)
      end
      line_no = line_no + 1
   end
   if #prepared == 0 then
      error("no request for wrk thread " .. tid .. ": give at least one line per thread")
   end
   position = 0
   sent = 0
   wrapped = 0
   statuses = {}
end

function request()
   position = position + 1
   if position > #prepared then
      position = 1
      wrapped = wrapped + 1
   end
   sent = sent + 1
   return prepared[position]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local sent_total, wrapped_total, by_status = 0, 0, {}
   for _, thread in ipairs(threads) do
      sent_total = sent_total + thread:get("sent")
      wrapped_total = wrapped_total + thread:get("wrapped")
      for status, count in pairs(thread:get("statuses")) do
         by_status[status] = (by_status[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(by_status) do
      parts[#parts + 1] = string.format('"%d": %d', status, count)
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us": %d, "responses": %d, "sent": %d, "wrapped": %d, '
         .. '"p50_us": %d, "p99_us": %d, "socket_errors": {"connect": %d, "read": %d, '
         .. '"write": %d, "timeout": %d}, "statuses": {%s}}\n',
      summary.duration, summary.requests, sent_total, wrapped_total,
      latency:percentile(50), latency:percentile(99),
      errors.connect, errors.read, errors.write, errors.timeout,
      table.concat(parts, ", ")
   ))
end
