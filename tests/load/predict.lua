-- tests/load/predict.lua - wrk script: POST /api/predict with a JPEG body ($LOAD_JPEG).
local f = assert(io.open(os.getenv("LOAD_JPEG"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
