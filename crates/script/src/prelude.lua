-- Moon's sandbox for scripts, run once when the Lua state is created.
-- Lua 5.1 has no read-only tables, so every library table a script can
-- reach is replaced by an empty proxy whose metatable reads through to the
-- real table and refuses writes; next/pairs/rawget/rawset/setmetatable
-- learn to see through (or refuse) proxies. Scripts run with a globals
-- proxy that also refuses reads of undefined names, as Redis does.
local real_next, real_rawget, real_rawset = next, rawget, rawset
local real_setmetatable, real_getmetatable = setmetatable, getmetatable
local real_type, real_error, real_tostring = type, error, tostring
local getinfo = debug.getinfo

local proxied = real_setmetatable({}, { __mode = 'k' })

local function readonly_error()
  real_error('Attempt to modify a readonly table', 2)
end

local function readonly(t)
  local p = {}
  real_setmetatable(p, { __index = t, __newindex = readonly_error, __metatable = t })
  proxied[p] = t
  return p
end

local function see_through(t)
  return proxied[t] or t
end

local function safe_next(t, k)
  return real_next(see_through(t), k)
end

local G = ...

local real_setfenv, real_loadstring, real_load = setfenv, loadstring, load

G.next = safe_next
G.pairs = function(t)
  return safe_next, t, nil
end
G.rawget = function(t, k)
  return real_rawget(see_through(t), k)
end
G.rawset = function(t, k, v)
  if proxied[t] then
    real_error('Attempt to modify a readonly table', 0)
  end
  return real_rawset(t, k, v)
end
G.setmetatable = function(t, m)
  if proxied[t] then
    real_error('Attempt to modify a readonly table', 0)
  end
  return real_setmetatable(t, m)
end

-- pcall hands scripts the message of an error table (a failed redis.call
-- raises {err=...}), as Redis' own pcall does.
local real_pcall = pcall
local function fix_pcall(ok, ...)
  if ok then
    return ok, ...
  end
  local e = ...
  if real_type(e) == 'table' then
    local m = real_rawget(e, 'err')
    if real_type(m) == 'string' or real_type(m) == 'number' then
      e = m
    end
  end
  return false, e
end
G.pcall = function(f, ...)
  return fix_pcall(real_pcall(f, ...))
end

-- The error handler: every error becomes a table {err=..., source=...,
-- line=...} naming the first frame of the script itself.
local function handler(err)
  local lvl = 2
  local i = getinfo(lvl, 'Sl')
  while i and (i.what == 'C' or i.what == 'tail' or i.source == '=moon') do
    lvl = lvl + 1
    i = getinfo(lvl, 'Sl')
  end
  if real_type(err) ~= 'table' then
    err = { err = 'ERR ' .. real_tostring(err) }
  end
  if i and not real_rawget(err, 'no_position') then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

-- The globals scripts see: reads go to the real globals through a table
-- __index (no Lua call per global access, the VM follows it itself), and
-- the real globals raise on a missing name, as Redis' protected globals
-- do. Writes are refused.
local function make_env()
  local env = {}
  real_setmetatable(env, {
    __index = G,
    __newindex = readonly_error,
    __metatable = false,
  })
  proxied[env] = G
  return env
end

local env = make_env()
G._G = env
-- Chunks compiled by a script run with the script's globals.
G.loadstring = function(...)
  local f, e = real_loadstring(...)
  if f then
    real_setfenv(f, env)
  end
  return f, e
end
G.load = function(...)
  local f, e = real_load(...)
  if f then
    real_setfenv(f, env)
  end
  return f, e
end
for _, name in ipairs({ 'print', 'dofile', 'loadfile', 'getfenv', 'setfenv', 'newproxy', 'module', 'require', 'package', 'io', 'debug' }) do
  G[name] = nil
end

local libs = { 'string', 'math', 'table', 'coroutine', 'os', 'cjson', 'bit', 'struct', 'cmsgpack', 'redis' }
for _, name in ipairs(libs) do
  local t = real_rawget(G, name)
  if t then
    real_rawset(G, name, readonly(t))
  end
end
-- String methods ("x"):upper() read the string library through its metatable.
real_getmetatable('').__index = real_rawget(G, 'string')
-- Last, as every name the code above reads must exist by now.
real_setmetatable(G, {
  __index = function(_, k)
    real_error("Script attempted to access nonexistent global variable '" .. real_tostring(k) .. "'", 2)
  end,
  __metatable = false,
})

return env, handler
