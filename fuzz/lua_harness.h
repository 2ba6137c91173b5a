/* A libFuzzer harness over a Lua reader of the command line (lua/cams/cli/): Lua 5.4 is
   embedded, the modules are loaded from this checkout (CAMS_SOURCE_DIR, set by the Makefile),
   and the script fuzz/<cams_fuzz_script> returns a function that gets the fuzzed bytes,
   runs the reader on them and raises when an invariant does not hold. Any Lua error,
   the reader's or the check's, aborts: libFuzzer keeps the input. */
#ifndef CAMS_LUA_HARNESS_H
#define CAMS_LUA_HARNESS_H

/* File name of the check script, in fuzz/ beside the harness; set by each harness. */
extern const char *const cams_fuzz_script;

#endif
