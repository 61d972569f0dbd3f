// SPDX-License-Identifier: Apache-2.0
// The S3 client signs with libcurl's CURLOPT_AWS_SIGV4: these tests hold libcurl to AWS's
// published Signature Version 4 examples, by capturing what it sends to a local listener.
#include <curl/curl.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "http/client/s3.hpp"
#include "support/scratch_files.hpp"
#include "support/scripted_http_server.hpp"

using namespace sbx::test;
namespace client = sbx::http::client;

namespace {

/// Remembers the Authorization header of every request and answers 200.
struct recorder {
  std::mutex mutex;
  std::vector<std::string> authorizations;
  std::vector<std::string> targets;

  reply_script script() {
    return [this](const server_request& r) {
      std::lock_guard lock(mutex);
      authorizations.emplace_back(r[boost::beast::http::field::authorization]);
      targets.emplace_back(r.target());
      return scripted_reply{200, {}, {}};
    };
  }
  std::string last_authorization() {
    std::lock_guard lock(mutex);
    return authorizations.empty() ? std::string() : authorizations.back();
  }
};

/// One request as a signing example describes it.
struct example {
  std::string method;
  std::string target;  ///< path and query as sent
  std::vector<std::string> headers;
  std::string body;
  std::string provider;  ///< CURLOPT_AWS_SIGV4
  std::string access_key;
  std::string secret_key;
};

/// The Authorization header libcurl signs `e` with, as the listener received it.
std::string signed_by_libcurl(const example& e) {
  recorder seen;
  scripted_http_server server(seen.script());
  CURL* easy = curl_easy_init();
  REQUIRE(easy != nullptr);
  const auto url = server.url(e.target);
  curl_slist* headers = nullptr;
  for (const auto& h : e.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, e.provider.c_str());
  curl_easy_setopt(easy, CURLOPT_USERNAME, e.access_key.c_str());
  curl_easy_setopt(easy, CURLOPT_PASSWORD, e.secret_key.c_str());
  if (e.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, e.body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(e.body.size()));
  }
  const auto rc = curl_easy_perform(easy);
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
  REQUIRE(rc == CURLE_OK);
  return seen.last_authorization();
}

// The credentials, region, service and time of AWS's Signature Version 4 test suite
// (aws-sig-v4-test-suite); the request time is fixed by giving X-Amz-Date, which libcurl then
// signs instead of the clock.
const std::string suite_key = "AKIDEXAMPLE";
const std::string suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string suite_provider = "aws:amz:us-east-1:service";

example suite_request(const std::string& method, const std::string& target,
                      const std::vector<std::string>& headers, const std::string& body = {}) {
  return {method, target, headers, body, suite_provider, suite_key, suite_secret};
}

}  // namespace

TEST_CASE("libcurl signs the examples of AWS's Signature Version 4 test suite as published",
          "[unit][s3]") {
  struct vector {
    std::string name;
    example request;
    std::string signed_headers;
    std::string signature;
  };
  const std::vector<std::string> plain = {"Host: example.amazonaws.com",
                                          "X-Amz-Date: 20150830T123600Z"};
  const std::vector<vector> vectors = {
      {"get-vanilla", suite_request("GET", "/", plain), "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"post-vanilla", suite_request("POST", "/", plain), "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-x-www-form-urlencoded",
       suite_request("POST", "/",
                     {"Content-Type: application/x-www-form-urlencoded",
                      "Host: example.amazonaws.com", "X-Amz-Date: 20150830T123600Z"},
                     "Param1=value1"),
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      // libcurl signs the query as it is sent, so the S3 client sends its parameters already
      // sorted and encoded (ListObjectsV2); the example sends them unsorted, signed sorted.
      {"get-vanilla-query-order-key-case",
       suite_request("GET", "/?Param1=value1&Param2=value2", plain), "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
  };
  for (const auto& v : vectors) {
    INFO(v.name);
    CHECK(signed_by_libcurl(v.request) ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=" +
              v.signed_headers + ", Signature=" + v.signature);
  }
}

TEST_CASE("libcurl signs the S3 API reference's GET Object example as published", "[unit][s3]") {
  // Amazon S3 API Reference, "Signature Calculations for the Authorization Header: Transferring
  // Payload in a Single Chunk", example GET Object: the payload hash travels in
  // x-amz-content-sha256, as the S3 client's requests carry it.
  const auto got = signed_by_libcurl(
      {"GET",
       "/test.txt",
       {"Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
        "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-amz-date: 20130524T000000Z"},
       "",
       "aws:amz:us-east-1:s3",
       "AKIAIOSFODNN7EXAMPLE",
       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"});
  CHECK(got ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("the S3 client signs every request for its region and service s3", "[unit][s3]") {
  recorder seen;
  scripted_http_server server(seen.script());
  client::s3_settings s;
  s.endpoint = server.url("");
  s.bucket = "images";
  s.region = "eu-north-1";
  s.access_key_id = "AKIDEXAMPLE";
  s.secret_access_key = suite_secret;
  s.path_style = true;
  client::s3_client s3(s);
  scratch_dir dir;
  const auto file = dir.path() / "f";
  write_bytes(file, "bytes");
  s3.put_file("site/0123", file);
  CHECK(s3.exists("site/0123"));
  s3.remove("site/0123");
  s3.check_bucket();
  std::lock_guard lock(seen.mutex);
  REQUIRE(seen.authorizations.size() == 4);
  for (const auto& a : seen.authorizations) {
    INFO(a);
    CHECK(a.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    CHECK(a.find("/eu-north-1/s3/aws4_request, "
                 "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=") !=
          std::string::npos);
  }
  CHECK(seen.targets[0] == "/images/site/0123");
  CHECK(seen.targets[3] == "/images?list-type=2&max-keys=1");
}

TEST_CASE("S3 URLs: path style, virtual host, and SigV4's encoding", "[unit][s3]") {
  client::s3_settings s;
  s.endpoint = "https://s3.example.org:9000/";
  s.bucket = "scans";
  s.path_style = true;
  CHECK(client::s3_client(s).url("a/b c") == "https://s3.example.org:9000/scans/a/b%20c");
  s.path_style = false;
  CHECK(client::s3_client(s).url("a/b") == "https://scans.s3.example.org:9000/a/b");
  s.endpoint.clear();
  s.region = "eu-west-3";
  CHECK(client::s3_client(s).url("k", "list-type=2") ==
        "https://scans.s3.eu-west-3.amazonaws.com/k?list-type=2");
  CHECK(client::s3_uri_encode("A-z_0.9~ /+=&", false) == "A-z_0.9~%20%2F%2B%3D%26");
  CHECK(client::s3_uri_encode("a/b", true) == "a/b");
  s.endpoint = "ftp://x";
  CHECK_THROWS_AS(client::s3_client(s), client::s3_error);
}
