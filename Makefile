# lua-cams: build, test, demo, docs and install.
# Conventional variables: LUA, LUA_VERSION, LUA_INCDIR, LUA_LIBDIR, PREFIX, LIBFLAG, CFLAGS.
# LuaJIT: make LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1

LUA          ?= lua5.4
LUA_VERSION  ?= 5.4
LUA_INCDIR   ?= /usr/include/lua$(LUA_VERSION)
LUA_LIBDIR   ?= /usr/lib
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LUA_LMOD_DIR ?= $(PREFIX)/share/lua/$(LUA_VERSION)
LUA_CMOD_DIR ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
MANDIR       ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR  ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d
BUILD        ?= build/$(LUA_VERSION)

CC       ?= cc
CFLAGS   ?= -O2
WARN     := -std=c99 -Wall -Wextra -Werror -pedantic
LIBFLAG  ?= -shared
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
SSL_LIBS    := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
QR_CFLAGS   := $(shell pkg-config --cflags libqrencode libpng 2>/dev/null)
QR_LIBS     := $(shell pkg-config --libs libqrencode libpng 2>/dev/null || echo -lqrencode -lpng)

SRCS    := src/buf.c src/encode.c src/clock.c src/sign.c src/request.c src/http.c src/qr.c \
  src/cams_core.c
HEADERS := $(wildcard src/*.h)
LUA_SRC := $(shell find lua -name '*.lua')
CORE    := $(BUILD)/cams/core.so

# Debian packages, by what needs them. `make deps` installs all of them; `make demo` only
# DEMO_PACKAGES (build the core for Lua 5.4, run the mock server: nginx with its Lua module).
DEMO_PACKAGES := build-essential pkg-config lua5.4 liblua5.4-dev lua-cjson lua-luaossl \
  lua-socket lua-yaml libcurl4-openssl-dev libssl-dev libqrencode-dev libpng-dev nginx \
  libnginx-mod-http-lua openssl
TEST_PACKAGES := luajit2 libluajit2-5.1-dev lua5.3 liblua5.3-dev lua5.1 lua-busted lua-check \
  lua-sec lua-argparse luarocks curl zip unzip zbar-tools librsvg2-bin chromium lua-ldoc \
  lua-discount groff-base redis-server redis-tools
CHECK_PACKAGES := clang libclang-rt-14-dev valgrind cppcheck clang-tidy
DEB_PACKAGES := $(DEMO_PACKAGES) $(TEST_PACKAGES) $(CHECK_PACKAGES)

.PHONY: all test demo deps install uninstall clean lint asan valgrind fuzz soak bench suite-builds \
  rock rock-check demo-nginx docs api-docs cli-docs

all: $(CORE)

$(CORE): $(SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -fPIC -I$(LUA_INCDIR) $(CURL_CFLAGS) $(QR_CFLAGS) $(LIBFLAG) -o $@ \
	  $(SRCS) $(CURL_LIBS) $(SSL_LIBS) $(QR_LIBS) -pthread

# Installs what is missing (root, or sudo when available).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The cores the suite loads (Lua 5.4, 5.3, and the Lua 5.1 ABI one that LuaJIT, nginx and
# lua5.1 share) and the fork helper.
suite-builds:
	$(MAKE) all
	$(MAKE) all LUA=lua5.3 LUA_VERSION=5.3 BUILD=build/5.3
	$(MAKE) all LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1 BUILD=build/luajit
	$(MAKE) build/test/fork_nonce

test: deps
	$(MAKE) suite-builds
	luacheck --quiet lua spec examples bench bin doc fuzz
	bash spec/support/run-suite

demo:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(DEMO_PACKAGES)'
	@$(MAKE) --no-print-directory all
	@bash examples/demo.sh $(BUILD)

# The mock and an nginx running examples/nginx/, one call through it.
demo-nginx:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(DEMO_PACKAGES) luajit2 libluajit2-5.1-dev'
	@$(MAKE) --no-print-directory all LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1 \
	  BUILD=build/luajit
	@lua5.4 examples/demo_nginx.lua

# Cosocket versus curl transport inside one nginx worker (wrk when it can be installed,
# else curl --parallel); see BENCHMARKS.md.
.PHONY: bench-nginx
bench-nginx: deps
	$(MAKE) all LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1 BUILD=build/luajit
	-@$(MAKE) --no-print-directory deps DEB_PACKAGES=wrk
	LUA_PATH='lua/?.lua;./?.lua;;' LUA_CPATH='build/luajit/?.so;;' luajit bench/nginx_transport.lua

lint: deps
	$(MAKE) all
	luacheck lua spec examples bench bin doc fuzz
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c99 \
	  --suppress=missingIncludeSystem -I src src fuzz bench spec/support
	clang-tidy --quiet src/*.c bench/*.c spec/support/*.c -- -std=c99 -I$(LUA_INCDIR) -Isrc \
	  $(CURL_CFLAGS) $(QR_CFLAGS)
	clang-tidy --quiet fuzz/*.c -- -std=c99 -Isrc -I/usr/include/lua5.4 -DCAMS_SOURCE_DIR='"."' \
	  $(QR_CFLAGS)

# ---- Memory safety and soak (README: "Hardening") ------------------------------------

SAN_CC    ?= clang
SAN_FLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SPEC_PATH := LUA_PATH='lua/?.lua;lua/?/init.lua;./?.lua;;'
FUZZERS   := encode utf8 sign request qr journal rows
FUZZ_TIME ?= 20
VALGRIND_CALLS ?= 1000
SOAK_CALLS ?= 100000
# Evaluated when a recipe runs, after deps has installed the tools.
ASAN_RT   = $(shell $(SAN_CC) -print-file-name=libclang_rt.asan-$(shell uname -m).so)
LUA54     = $(shell command -v lua5.4)
LOADER    = $(shell readelf -l $(LUA54) | sed -n 's/.*interpreter: \(.*\)\]/\1/p')

build/asan/cams/core.so: $(SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(WARN) $(SAN_FLAGS) -fPIC -I/usr/include/lua5.4 $(CURL_CFLAGS) $(QR_CFLAGS) \
	  -shared -o $@ $(SRCS) $(CURL_LIBS) $(SSL_LIBS) $(QR_LIBS) -pthread

# The whole suite under lua5.4 with an ASan + UBSan core. The dynamic loader preloads the
# sanitizer runtime into lua5.4 alone (ld.so --preload): unlike LD_PRELOAD it is not
# inherited by nginx, curl or openssl started by the specs. Leak reports are off (the
# interpreter keeps what it allocates until it exits); make valgrind checks for leaks.
asan: deps
	$(MAKE) suite-builds build/asan/cams/core.so
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(SPEC_PATH) LUA_CPATH='build/asan/?.so;;' \
	  $(LOADER) --preload $(ASAN_RT) $(LUA54) $$(command -v busted) --output=utfTerminal spec

# memcheck over an end-to-end workload against the mock: no error, no definite leak.
valgrind: deps all
	$(SPEC_PATH) LUA_CPATH='$(BUILD)/?.so;;' valgrind --tool=memcheck --error-exitcode=1 \
	  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	  --num-callers=30 lua5.4 spec/support/workout.lua $(VALGRIND_CALLS)

build/fuzz/%_fuzz: fuzz/%_fuzz.c fuzz/field_reader.h src/buf.c src/encode.c src/sign.c src/request.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -Isrc -o $@ $< src/buf.c src/encode.c src/sign.c src/request.c $(SSL_LIBS) -pthread

# The QR harness needs the QR code and its libraries instead of the signer.
build/fuzz/qr_fuzz: fuzz/qr_fuzz.c src/qr.c src/encode.c src/buf.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -Isrc $(QR_CFLAGS) -o $@ $< src/qr.c src/encode.c src/buf.c $(QR_LIBS) $(SSL_LIBS)

# The harnesses of the command line's Lua readers embed Lua 5.4 and load lua/ and their
# checks (fuzz/*_check.lua) from this checkout.
LUA_FUZZERS := build/fuzz/journal_fuzz build/fuzz/rows_fuzz
$(LUA_FUZZERS): build/fuzz/%_fuzz: fuzz/%_fuzz.c fuzz/lua_harness.c fuzz/lua_harness.h
	@mkdir -p $(dir $@)
	$(SAN_CC) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -I/usr/include/lua5.4 -DCAMS_SOURCE_DIR='"$(CURDIR)"' -o $@ $< fuzz/lua_harness.c -llua5.4

# Each libFuzzer harness for FUZZ_TIME seconds (README: a longer run).
fuzz: deps
	$(MAKE) $(FUZZERS:%=build/fuzz/%_fuzz)
	bash fuzz/run.sh $(FUZZ_TIME) $(FUZZERS)

# 100,000 calls against the mock, RSS and open descriptors every 10,000 (BENCHMARKS.md).
soak: deps all
	$(SPEC_PATH) LUA_CPATH='$(BUILD)/?.so;;' lua5.4 bench/soak.lua $(SOAK_CALLS)

# Benchmarks (never part of the tests): builds what they need, prints one Markdown report.
BENCH_PROGS := build/bench/sign_bench build/bench/curl_loop
SIGN_SRCS   := src/sign.c src/encode.c src/buf.c

build/bench/%: bench/%.c bench/request.h $(SIGN_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CURL_CFLAGS) -o $@ $< $(SIGN_SRCS) $(CURL_LIBS) $(SSL_LIBS) -pthread

# C helper of spec/e2e/fork_spec.lua.
build/test/fork_nonce: spec/support/fork_nonce.c $(SIGN_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -o $@ $< $(SIGN_SRCS) $(SSL_LIBS) -pthread

bench: deps
	$(MAKE) all
	$(MAKE) all LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1 BUILD=build/luajit
	$(MAKE) $(BENCH_PROGS)
	@bash bench/setup.sh
	lua5.4 bench/run.lua

# ---- Documentation (README: "API reference") -----------------------------------------

DOC_LUA := LUA_PATH='lua/?.lua;;' $(LUA)

docs: cli-docs api-docs

# The man page and the shell completions, from the command line parser. They are
# committed (make install and the rock ship them as they are); spec/e2e/docs_spec.lua fails
# when they are stale.
cli-docs:
	$(DOC_LUA) doc/cli/generate.lua doc

# HTML reference of the public API in build/docs: the hand-written pages of doc/ldoc/
# and the typed helpers' pages, written from the operations table. Any ldoc warning fails
# (ldoc writes them to stderr, a few with "warning" to stdout).
api-docs:
	rm -rf build/docs build/docs-src && mkdir -p build/docs-src
	$(DOC_LUA) doc/ldoc/operations.lua build/docs-src
	@status=0; ldoc --fatalwarnings -c doc/ldoc/config.ld . > build/docs-src/ldoc.out \
	  2> build/docs-src/ldoc.err || status=$$?; \
	cat build/docs-src/ldoc.out build/docs-src/ldoc.err; \
	if [ $$status -ne 0 ] || [ -s build/docs-src/ldoc.err ] \
	  || grep -qi warn build/docs-src/ldoc.out; then \
	  echo "api-docs: ldoc failed or warned" >&2; exit 1; \
	fi

# ---- Release --------------------------------------------------------------------------

ROCKSPEC := $(lastword $(sort $(wildcard rockspec/lua-cams-[0-9]*.rockspec)))
ROCK     := build/$(patsubst %.rockspec,%.src.rock,$(notdir $(ROCKSPEC)))

# A source rock of the committed tree: the release rockspec beside the sources as LuaRocks
# fetches them from the release tag (a folder named after the repository).
rock:
	@git diff --quiet HEAD || echo "rock: uncommitted changes are not in the rock"
	rm -rf build/rock $(ROCK) && mkdir -p build/rock
	git archive --prefix=lua-cams/ HEAD | tar -x -C build/rock
	cp $(ROCKSPEC) build/rock/
	cd build/rock && zip -qr ../$(notdir $(ROCK)) $(notdir $(ROCKSPEC)) lua-cams
	@echo "$(ROCK)"

# The rock installed into fresh LuaRocks trees (5.4 and LuaJIT) and used against the mock.
rock-check: rock
	bash spec/support/rock-check $(ROCK)

install: $(CORE)
	install -d $(DESTDIR)$(LUA_CMOD_DIR)/cams
	install -m 0755 $(CORE) $(DESTDIR)$(LUA_CMOD_DIR)/cams/core.so
	for f in $(patsubst lua/%,%,$(LUA_SRC)); do \
	  install -D -m 0644 lua/$$f $(DESTDIR)$(LUA_LMOD_DIR)/$$f || exit 1; \
	done
	install -d $(DESTDIR)$(BINDIR)
	sed '1s|.*|#!/usr/bin/env $(LUA)|' bin/cams > $(DESTDIR)$(BINDIR)/cams
	chmod 0755 $(DESTDIR)$(BINDIR)/cams
	install -D -m 0644 doc/man/cams.1 $(DESTDIR)$(MANDIR)/man1/cams.1
	install -D -m 0644 doc/completions/cams.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/cams
	install -D -m 0644 doc/completions/_cams $(DESTDIR)$(ZSH_COMPLETION_DIR)/_cams
	install -D -m 0644 doc/completions/cams.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/cams.fish

uninstall:
	rm -rf $(DESTDIR)$(LUA_CMOD_DIR)/cams $(DESTDIR)$(LUA_LMOD_DIR)/cams $(DESTDIR)$(LUA_LMOD_DIR)/cams.lua
	rm -f $(DESTDIR)$(BINDIR)/cams $(DESTDIR)$(MANDIR)/man1/cams.1 \
	  $(DESTDIR)$(BASH_COMPLETION_DIR)/cams $(DESTDIR)$(ZSH_COMPLETION_DIR)/_cams \
	  $(DESTDIR)$(FISH_COMPLETION_DIR)/cams.fish

clean:
	rm -rf build
