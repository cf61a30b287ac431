-- The booking rounds (free and paid doctors): bookings of distinct available slots, each
-- with a unique Idempotency-Key.
-- Args: <data dir> <slots file> <thread count> <round label>
-- Thread t books slots t, t+n, t+2n, ... so no two requests race for one slot.
package.path = "bench/?.lua;" .. package.path
local common = require("common")
common.install_reporting()

local slots, tokens, step, index, label, counter

function init(args)
  tokens = common.read_lines(args[1] .. "/tokens.txt")
  slots = common.read_lines(args[1] .. "/" .. args[2])
  step = tonumber(args[3])
  label = args[4]
  index = (tid or 0) + 1
  counter = 0
  math.randomseed(os.time() + (tid or 0) * 104729)
end

function request()
  local pick
  if index <= #slots then
    pick = common.split(slots[index])
    index = index + step
  else
    pick = common.split(slots[math.random(#slots)])
  end
  counter = counter + 1
  local key = string.format("bench-%s-%d-%d-%d", label, tid or 0, counter, math.random(1e9))
  return common.booking(pick, tokens, key)
end
