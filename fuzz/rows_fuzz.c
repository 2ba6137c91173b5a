/* libFuzzer harness of the input rows of update-batch (lua/cams/cli/rows.lua and csv.lua,
   rows.parse) with the checks of fuzz/rows_check.lua: never a Lua error; every row a
   table of known fields and text values; CSV records written back read the same. */
#include "lua_harness.h"

const char *const cams_fuzz_script = "rows_check.lua";
