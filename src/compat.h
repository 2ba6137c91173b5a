/* Lua 5.1 / LuaJIT versus 5.2+ C API differences used by the binding. */
#ifndef CAMS_COMPAT_H
#define CAMS_COMPAT_H

#include <lauxlib.h>
#include <lua.h>

/* LuaJIT 2.1 has luaL_setfuncs and luaL_newlib; plain Lua 5.1 does not. */
#if LUA_VERSION_NUM < 502 && !defined(luaL_newlib)
static void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  for (; l->name; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#define luaL_newlib(L, l) (lua_newtable(L), luaL_setfuncs((L), (l), 0))
#endif

#endif
