/* The shared part of the Lua harnesses (lua_harness.h). libFuzzer sees no coverage
   inside the Lua interpreter, which is not instrumented; a line hook gives it some: every
   pair of lines run one after the other bumps a counter of the __libfuzzer_extra_counters
   section, which libFuzzer reads as coverage. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua_harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define COUNTERS (1u << 16)

__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t
    lua_edges[COUNTERS];

static lua_State *L;
static int check_ref = LUA_NOREF;
static uint32_t previous;

/* A line event carries its line number (no lua_getinfo: naming the source costs more than
   the reader's own work). Lines of different files share counters; the pairs tell them
   apart well enough. */
static void line_hook(lua_State *state, lua_Debug *ar) {
  uint32_t here = (uint32_t)ar->currentline * 2654435761u;
  (void)state;
  lua_edges[(here ^ previous) % COUNTERS]++;
  previous = here >> 1;
}

static void fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, lua_tostring(L, -1));
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  L = luaL_newstate();
  if (!L) abort();
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, CAMS_SOURCE_DIR "/lua/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  lua_pushfstring(L, "%s/fuzz/%s", CAMS_SOURCE_DIR, cams_fuzz_script);
  if (luaL_loadfile(L, lua_tostring(L, -1)) != LUA_OK) fail("loading the check script");
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) fail("running the check script");
  if (!lua_isfunction(L, -1)) {
    fprintf(stderr, "%s does not return a function\n", cams_fuzz_script);
    abort();
  }
  check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pop(L, 1); /* the script's path */
  lua_sethook(L, line_hook, LUA_MASKLINE, 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  lua_pushlstring(L, (const char *)data, size);
  previous = 0;
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) fail("invariant broken");
  /* the garbage of this input freed now: libFuzzer's leak check compares the allocations
     and frees of each input */
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
