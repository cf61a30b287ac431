-- Round 1: GET /health, the framework floor.
package.path = "bench/?.lua;" .. package.path
local common = require("common")
common.install_reporting()
