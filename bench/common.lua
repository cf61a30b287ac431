-- Shared by the wrk scripts: data files, per-status counters and a JSON summary.
local M = {}

function M.read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  file:close()
  return lines
end

function M.split(line)
  local parts = {}
  for part in string.gmatch(line, "[^,]+") do parts[#parts + 1] = part end
  return parts
end

-- A booking of slot `pick` ({doctorId, slotId}) by a random patient of `tokens`, under
-- an Idempotency-Key no other request uses.
function M.booking(pick, tokens, key)
  local body = string.format('{"doctorId":"%s","slotId":"%s"}', pick[1], pick[2])
  return wrk.format("POST", "/api/v1/consultations/bookings", {
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end

-- Install setup/response/done: every thread counts answers by status, done()
-- prints one JSON line the runner parses.
function M.install_reporting()
  local threads = {}
  local next_id = 0

  setup = function(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
    threads[#threads + 1] = thread
  end

  statuses = {}
  response = function(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end

  done = function(summary, latency, requests)
    local counts = {}
    for _, thread in ipairs(threads) do
      local per_thread = thread:get("statuses") or {}
      for status, n in pairs(per_thread) do
        counts[tostring(status)] = (counts[tostring(status)] or 0) + n
      end
    end
    local parts = {}
    for status, n in pairs(counts) do
      parts[#parts + 1] = string.format('"%s": %d', status, n)
    end
    io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "socket_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.max, summary.errors.connect + summary.errors.read + summary.errors.write,
      summary.errors.timeout, table.concat(parts, ", ")))
  end
end

return M
