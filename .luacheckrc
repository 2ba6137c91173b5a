std = "max"

exclude_files = {
  "build/",
  "bench/node_modules/",
  "lua_modules/",
  ".luarocks/",
  "rockspec/",
  "**/*.rockspec",
}

files["spec/"] = {
  std = "max+busted",
}

files["lua/"] = {
  read_globals = { "ngx" },
}
