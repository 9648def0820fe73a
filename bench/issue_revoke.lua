-- Appended after request.lua for postgresql_secret_revoke: every answer that
-- carries a lease id (database credentials just issued) queues that lease's
-- revocation (PUT BENCH.revoke_path), which this thread sends as its next
-- request on whichever of its connections is free. A run is thus half issues
-- and half revokes, and every lease it issues is revoked exactly once, but
-- for the few still queued when wrk stops. `revoked` counts the 204 answers.

local pending = {}

function request()
  local id = table.remove(pending)
  if id then
    return wrk.format("PUT", BENCH.revoke_path, BENCH.headers,
                      '{"lease_id":"' .. id .. '"}')
  end
  return reqs[math.random(#reqs)]
end

function response(status, headers, body)
  if status == 204 then
    revoked = revoked + 1
    return
  end
  local id = body and body:match('"lease_id":"([^"]+)"')
  if id then table.insert(pending, id) end
end
