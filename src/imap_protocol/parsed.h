// A value or the reason it could not be parsed: the return type of the small IMAP
// value parsers (sequence sets, modified UTF-7, dates). Pure helper, no RFC behind it.
#pragma once
#include <optional>
#include <string>
#include <utility>

namespace kurier::imap {

template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set when value is empty

  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  T& operator*() { return *value; }
  const T* operator->() const { return &*value; }
};

}  // namespace kurier::imap
