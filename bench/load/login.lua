-- wrk script: POST a multipart face login with the photo in FACE_FILE.
local f = assert(io.open(os.getenv("FACE_FILE"), "rb"))
local photo = f:read("*all")
f:close()
local boundary = "faceidbenchboundary"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n" ..
  "Content-Disposition: form-data; name=\"face_image\"; filename=\"face.jpg\"\r\n" ..
  "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n--" .. boundary .. "--\r\n"

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  for s, n in pairs(statuses) do io.write(string.format("status %d: %d\n", s, n)) end
end
