-- Round 4: many connections racing for a handful of slots; exactly one may win each.
-- Args: <data dir> <slots file> <round label> <thread count>
package.path = "bench/?.lua;" .. package.path
local common = require("common")
common.install_reporting()

local slots, tokens, label, counter, nthreads

function init(args)
  tokens = common.read_lines(args[1] .. "/tokens.txt")
  slots = common.read_lines(args[1] .. "/" .. args[2])
  label = args[3]
  nthreads = tonumber(args[4])
  counter = 0
  math.randomseed(os.time() + (tid or 0) * 15485863)
end

function request()
  -- Round-robin over the slots, threads interleaved: every slot is raced for from the
  -- first wave of requests on.
  local pick = common.split(slots[((tid or 0) + counter * nthreads) % #slots + 1])
  counter = counter + 1
  local key = string.format("race-%s-%d-%d-%d", label, tid or 0, counter, math.random(1e9))
  return common.booking(pick, tokens, key)
end
