/* Lua 5.1 / LuaJIT versus 5.2+ C API differences used by the binding. */
#ifndef CAMS_COMPAT_H
#define CAMS_COMPAT_H

#include <lauxlib.h>
#include <lua.h>

/* The Lua 5.1 ABI (PUC Lua 5.1 and LuaJIT): the binding uses only functions both export,
   so one build loads in lua5.1, luajit and nginx's Lua module. LuaJIT 2.1 declares
   luaL_setfuncs, which PUC Lua 5.1 lacks: a core built against LuaJIT's headers would not
   load in lua5.1 if it called it. */
#if LUA_VERSION_NUM < 502
static void cams_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  for (; l->name; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#undef luaL_setfuncs
#define luaL_setfuncs cams_setfuncs
#undef luaL_newlib
#define luaL_newlib(L, l) (lua_newtable(L), cams_setfuncs((L), (l), 0))
#endif

#endif
