// The lean Boost.Asio include for kurier's net headers: only the awaitable and executor types.
// Every TU that uses Asio must see the same configuration macros, so they are fixed here (and also
// given as PUBLIC compile definitions of kurier_net). The implementation is compiled once, in
// net/asio_impl.cpp (BOOST_ASIO_SEPARATE_COMPILATION), to keep build times down.
#pragma once

#ifndef BOOST_ASIO_SEPARATE_COMPILATION
#define BOOST_ASIO_SEPARATE_COMPILATION
#endif
#ifndef BOOST_ASIO_NO_DEPRECATED
#define BOOST_ASIO_NO_DEPRECATED
#endif

#include <utility>  // Debian's g++ 12 needs <utility> before any Boost.Asio header.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace kurier::net {

template <class T>
using awaitable = boost::asio::awaitable<T>;
using Executor = boost::asio::any_io_executor;

}  // namespace kurier::net
