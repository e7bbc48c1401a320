// The one translation unit that compiles Boost.Asio and Boost.Asio SSL (separate compilation,
// see net/asio_fwd.h). Nothing else belongs here.
#include "net/asio_fwd.h"

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
