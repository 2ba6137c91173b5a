# lua-cams: build, test, demo and install.
# Conventional variables: LUA, LUA_VERSION, LUA_INCDIR, LUA_LIBDIR, PREFIX, LIBFLAG, CFLAGS.
# LuaJIT: make LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1

LUA          ?= lua5.4
LUA_VERSION  ?= 5.4
LUA_INCDIR   ?= /usr/include/lua$(LUA_VERSION)
LUA_LIBDIR   ?= /usr/lib
PREFIX       ?= /usr/local
LUA_LMOD_DIR ?= $(PREFIX)/share/lua/$(LUA_VERSION)
LUA_CMOD_DIR ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
BUILD        ?= build/$(LUA_VERSION)

CC       ?= cc
CFLAGS   ?= -O2
WARN     := -std=c99 -Wall -Wextra -Werror -pedantic
LIBFLAG  ?= -shared
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
SSL_LIBS    := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)

SRCS    := src/buf.c src/encode.c src/sign.c src/http.c src/cams_core.c
HEADERS := $(wildcard src/*.h)
LUA_SRC := $(shell find lua -name '*.lua')
CORE    := $(BUILD)/cams/core.so

# Debian packages the build, the tests and the demo need.
DEB_PACKAGES := build-essential pkg-config lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev \
  lua-cjson lua-busted lua-check lua-luaossl lua-socket lua-argparse luarocks \
  libcurl4-openssl-dev libssl-dev nginx libnginx-mod-http-lua openssl curl

.PHONY: all test demo deps install uninstall clean lint bench

all: $(CORE)

$(CORE): $(SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -fPIC -I$(LUA_INCDIR) $(CURL_CFLAGS) $(LIBFLAG) -o $@ $(SRCS) \
	  $(CURL_LIBS) $(SSL_LIBS) -pthread

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

test: deps
	$(MAKE) all
	$(MAKE) all LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1 BUILD=build/luajit
	$(MAKE) build/test/fork_nonce
	luacheck --quiet lua spec examples bench
	bash spec/support/run-suite

demo: deps all
	@bash examples/demo.sh $(BUILD)

# Benchmarks (never part of the tests): builds what they need, prints one Markdown report.
BENCH_PROGS := build/bench/sign_bench build/bench/curl_loop
SIGN_SRCS   := src/sign.c src/encode.c src/buf.c

build/bench/%: bench/%.c bench/request.h $(SIGN_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CURL_CFLAGS) -o $@ $< $(SIGN_SRCS) $(CURL_LIBS) $(SSL_LIBS) -pthread

# C helper of spec/fork_spec.lua.
build/test/fork_nonce: spec/support/fork_nonce.c $(SIGN_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -o $@ $< $(SIGN_SRCS) $(SSL_LIBS) -pthread

bench: deps
	$(MAKE) all
	$(MAKE) all LUA=luajit LUA_VERSION=5.1 LUA_INCDIR=/usr/include/luajit-2.1 BUILD=build/luajit
	$(MAKE) $(BENCH_PROGS)
	@bash bench/setup.sh
	lua5.4 bench/run.lua

lint: all
	luacheck lua spec examples bench
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c99 \
	  --suppress=missingIncludeSystem -I src src bench
	clang-tidy --quiet src/*.c bench/*.c -- -std=c99 -I$(LUA_INCDIR) $(CURL_CFLAGS)

install: $(CORE)
	install -d $(DESTDIR)$(LUA_CMOD_DIR)/cams
	install -m 0755 $(CORE) $(DESTDIR)$(LUA_CMOD_DIR)/cams/core.so
	for f in $(patsubst lua/%,%,$(LUA_SRC)); do \
	  install -D -m 0644 lua/$$f $(DESTDIR)$(LUA_LMOD_DIR)/$$f || exit 1; \
	done

uninstall:
	rm -rf $(DESTDIR)$(LUA_CMOD_DIR)/cams $(DESTDIR)$(LUA_LMOD_DIR)/cams $(DESTDIR)$(LUA_LMOD_DIR)/cams.lua

clean:
	rm -rf build
