-- The wrk script of every scenario of the benchmark (benchmarks/run.py), chosen by the
-- arguments after `--`: a mode and the file that holds its data.
--   bearer  <file>  GET with `Authorization: Bearer <first line of file>`
--   login   <file>  POST the file's content (a JSON login body)
--   refresh <file>  POST {"refresh_token": ...}: tokens rotate, so every request spends one.
--                   The file holds one token per connection; each response's new token goes
--                   back into the queue, so the queue never runs dry while responses succeed.
-- done() prints one line, `WRK_RESULT {...}`, that the benchmark parses.

local mode
local queue, head, tail = {}, 1, 0

local function read_file(path)
  local file = assert(io.open(path, "r"))
  local content = file:read("*a")
  file:close()
  return content
end

function init(args)
  mode = args[1]
  local path = args[2]
  if mode == "bearer" then
    wrk.headers["Authorization"] = "Bearer " .. read_file(path):match("^%s*(.-)%s*$")
    request, response = nil, nil -- a static request: wrk builds it once
  elseif mode == "login" then
    wrk.method = "POST"
    wrk.body = read_file(path)
    wrk.headers["Content-Type"] = "application/json"
    request, response = nil, nil
  elseif mode == "refresh" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    for line in io.lines(path) do
      if #line > 0 then
        tail = tail + 1
        queue[tail] = line
      end
    end
  else
    error("unknown mode " .. tostring(mode))
  end
end

function request()
  local token = "queue-ran-dry" -- answered 401 and counted as an error
  if head <= tail then
    token = queue[head]
    queue[head] = nil
    head = head + 1
  end
  return wrk.format(nil, nil, nil, '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
