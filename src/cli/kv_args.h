// The K=V arguments of write, patch, kv put/patch and login, read the way the
// vault CLI reads them:
//
//   key=value      a string value
//   key=@file      the file's contents (a value starting with '@' that is
//                  meant literally is written "\@...")
//   key=-          all of standard input
//   -              (alone or among others) a JSON object from stdin, merged in
//   @file          (no '=') a JSON object from a file, merged in
//   key=a key=b    a repeated key collects its values into a list
//
// Standard input can be consumed once per command.
//
// Thread-safety: reads files and, through the callback, stdin; one command
// at a time.
// Invariants: values are never logged; errors name the argument's key or
// file, not its value.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::cli {

using StdinReader = std::function<Result<std::string>()>;

// The arguments as one JSON object. Errors are InvalidArgument
// ("format must be key=value", "stdin already consumed", "error reading
// file: ...", "invalid JSON from stdin: ...").
Result<Json> ParseKeyValueArgs(const std::vector<std::string>& args, const StdinReader& stdin);

// The same arguments as query parameters: each value as text (lists give one
// parameter per item; non-string JSON values their JSON text).
Result<std::map<std::string, std::vector<std::string>>> ParseQueryArgs(
    const std::vector<std::string>& args, const StdinReader& stdin);

// "k=v" strings (from a repeatable flag) as a map; the first '=' splits.
// InvalidArgument naming the flag when an item has no '='.
Result<std::map<std::string, std::string>> ParseKeyValueFlag(const std::vector<std::string>& items,
                                                             std::string_view flag);

// The items of a repeatable list flag, each also split on ',' ("-versions=1,2
// -versions=3", "-policy=a,b"), trimmed, empty items dropped.
std::vector<std::string> SplitCommaList(const std::vector<std::string>& items);

}  // namespace coffer::cli
