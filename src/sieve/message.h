// The message a Sieve script looks at: its top-level header fields, its size and its body in the
// three forms of the body test (RFC 5173 5: :raw, :content, :text). `Message` is the abstract
// view the interpreter uses; `ParsedMessage` implements it over the message bytes with mime/
// (the bytes may be an mmap'd blob: nothing is copied but the header fields and the body parts
// a body test asks for).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::mime {
struct Part;
}

namespace kurier::sieve {

// One header field: the name as written and the value as written after the colon, folding
// line breaks included, without the final line ending.
struct HeaderLine {
  std::string name;
  std::string raw_value;
  // The value unfolded and trimmed (RFC 5322 2.2.3).
  std::string value() const;
};

enum class BodyTransform { raw, content, text };

class Message {
 public:
  virtual ~Message() = default;
  // The top-level header fields, in order.
  virtual const std::vector<HeaderLine>& header() const = 0;
  virtual uint64_t size() const = 0;
  // RFC 5173 5: the texts a body test matches against, at most max_size bytes in all (the
  // rest of a bigger body is not looked at).
  //   raw: the body undecoded (one string);
  //   content: every leaf part (multiparts and attached messages are descended into) whose
  //     Content-Type matches one of `types` ("" matches all, "text" a type, "text/plain" a type
  //     and subtype), transfer-decoded, text/* converted to UTF-8;
  //   text: the text/* parts as with :content "text" (HTML with its tags removed).
  virtual std::vector<std::string> body(BodyTransform transform, const std::vector<std::string>& types,
                                        size_t max_size) const = 0;
};

class ParsedMessage : public Message {
 public:
  // `bytes` must outlive this object.
  explicit ParsedMessage(std::string_view bytes);
  ~ParsedMessage() override;
  const std::vector<HeaderLine>& header() const override { return header_; }
  uint64_t size() const override { return bytes_.size(); }
  std::vector<std::string> body(BodyTransform transform, const std::vector<std::string>& types,
                                size_t max_size) const override;

 private:
  const mime::Part& structure() const;
  std::string_view bytes_;
  std::vector<HeaderLine> header_;
  mutable std::unique_ptr<mime::Part> root_;  // parsed at the first body test
};

}  // namespace kurier::sieve
