// FlagSet: the command-line flag parser shared by every client command.
//
// Accepts the spellings the vault CLI (Go's flag package) accepts:
//   -name=value   --name=value   -name value   --name value
//   -flag         -flag=true     -flag=false   (bool flags never take the next
//                                               argument as their value)
// Parsing stops at the first argument that is not a flag, at "-" (a
// positional meaning stdin) and after "--"; everything from there on is
// positional. "-h", "-help" and "--help" request help instead.
//
// Thread-safety: none; a FlagSet lives on one command's stack.
// Invariants: a flag name is registered at most once; the targets passed to
// the registration functions outlive Parse() and are written only by it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"

namespace coffer::cli {

class FlagSet {
 public:
  FlagSet() = default;
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;

  // Registration. `usage` is one line shown in the flag listing. The target
  // keeps its current value as the default.
  void String(std::string name, std::string* target, std::string usage);
  void Bool(std::string name, bool* target, std::string usage);
  void Int(std::string name, int* target, std::string usage);
  // Repeatable: each occurrence appends one value.
  void StringList(std::string name, std::vector<std::string>* target, std::string usage);

  // Flags registered after this call are listed under `title` in Usage().
  void SetGroup(std::string title) { group_ = std::move(title); }

  // Parses `args` (the arguments after the command name) and returns the
  // positional arguments. Errors (unknown flag, missing or malformed value)
  // are InvalidArgument with a one-line message naming the flag.
  Result<std::vector<std::string>> Parse(const std::vector<std::string>& args);

  // True after Parse() met -h/-help/--help; the returned positionals are empty.
  bool help_requested() const { return help_requested_; }
  // True if Parse() saw the flag (in any spelling), even with its default value.
  bool IsSet(std::string_view name) const;

  // The flag listing, one "  -name=<type>" line plus an indented usage line
  // per flag, in registration order, with a "<group>:" heading wherever the
  // group changes.
  std::string Usage() const;

 private:
  enum class Kind { kString, kBool, kInt, kStringList };
  struct Flag {
    std::string name;
    Kind kind;
    void* target;
    std::string usage;
    std::string group;
    bool set = false;
  };

  void Add(std::string name, Kind kind, void* target, std::string usage);
  Flag* Find(std::string_view name);
  static Status Assign(Flag& flag, std::string_view value);

  std::vector<Flag> flags_;
  std::string group_;
  bool help_requested_ = false;
};

}  // namespace coffer::cli
