-- wrk script for POST /v1/verify: claims vary on every request (templates x numbers x places),
-- so no cache of whole claims can answer them; the passages they retrieve recur, as in real use.
local templates = {
  "%s troops moved to Romania",
  "The United States is sending %s soldiers to Poland and Germany",
  "Russia has %s troops at the border with Ukraine",
  "%s American soldiers are on standby for deployment to Europe",
  "Biden considers sending %s troops to %s",
  "%s militairen gaan naar %s",
  "De VS sturen %s soldaten naar %s",
  "Rusland heeft %s militairen aan de grens met Oekraïne",
  "Spain sent %s frigates to the Black Sea",
  "NATO puts %s troops on standby in %s",
}
local places = { "Romania", "Poland", "Germany", "Eastern Europe", "Roemenië", "Polen", "Duitsland", "Ukraine", "the Baltics" }
local numbers = { "1,000", "2,000", "8,500", "100,000", "300", "50,000", "1.000", "duizend", "two thousand", "5,000" }

local function pick(list) return list[math.random(#list)] end

local function number()
  if math.random() < 0.5 then return pick(numbers) end
  return tostring(math.random(1, 200000))
end

local function escape(s) return (s:gsub('\\', '\\\\'):gsub('"', '\\"')) end

local get_path = nil

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  get_path = wrk.headers["X-Bench-Path"]  -- bench/api.py's comparison run: a plain GET of that path
end

function request()
  if get_path then return wrk.format("GET", get_path) end
  local claim = string.format(pick(templates), number(), pick(places))
  return wrk.format("POST", "/v1/verify", nil, '{"claim": "' .. escape(claim) .. '"}')
end


-- One JSON line with the figures bench/api.py records (latencies in microseconds).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d, ' ..
    '"mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
