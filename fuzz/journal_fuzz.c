/* libFuzzer harness of the journal reader of update-batch (lua/cams/cli/journal.lua,
   journal.parse) with the checks of fuzz/journal_check.lua: never a Lua error; a journal's
   records have whole row numbers in range, known statuses and text values. */
#include "lua_harness.h"

const char *const cams_fuzz_script = "journal_check.lua";
