-- Round 2: availability reads of random doctors with a patient's JWT.
-- Args: <data dir>
package.path = "bench/?.lua;" .. package.path
local common = require("common")
common.install_reporting()

local doctors, tokens

function init(args)
  doctors = common.read_lines(args[1] .. "/doctors.txt")
  tokens = common.read_lines(args[1] .. "/tokens.txt")
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  local doctor = doctors[math.random(#doctors)]
  local token = tokens[math.random(#tokens)]
  return wrk.format("GET", "/api/v1/doctors/" .. doctor .. "/availability?days=7",
    { ["Authorization"] = "Bearer " .. token })
end
