#pragma once
// Lets CHECK(result) print a boost::system::result whose value/error types cannot be streamed
// (Boost's operator<< would otherwise be picked and fail to compile).

#include <boost/system/result.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace Catch {
template<class T, class E>
struct StringMaker<boost::system::result<T, E>> {
    static std::string convert(boost::system::result<T, E> const& r) { return r ? "{value}" : "{error}"; }
};
} // namespace Catch
