-- wrk script: pace every connection so the whole run offers about RATE requests/s spread over
-- CONNS connections, instead of wrk's closed loop where a faster server gets more load (and a
-- longer queue). After each response a connection waits a random 0..2*CONNS/RATE seconds
-- (whole milliseconds, as wrk's timer takes), mean CONNS/RATE: random so the connections do
-- not fire in lockstep bursts. The achieved rate is a little below RATE by the latency.
local rate = tonumber(os.getenv("RATE") or "1000")
local conns = tonumber(os.getenv("CONNS") or "16")
local interval_ms = math.floor(conns * 1000 / rate + 0.5)

function setup(thread)
  thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
  math.randomseed(seed or os.time())
end

function delay()
  return math.random(0, 2 * interval_ms)
end
