//! A request to DPS as a value: method, path with its query, the optional `If-Match`, the
//! JSON body. The command line adds the host, the `Authorization` header (service API) or
//! the client certificate (device API), and sends it.

/// The HTTP methods DPS is called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Create or replace; register.
    Put,
    /// Bulk operations.
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
        }
    }
}

/// One request, without its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, starting with `/` (`/enrollments/x?api-version=2021-10-01`).
    pub path: String,
    /// The `If-Match` header, when the request replaces a record.
    pub if_match: Option<String>,
    /// The JSON body (`Content-Type: application/json; charset=utf-8`), if any.
    pub body: Option<Vec<u8>>,
}

/// Characters left as they are in a path segment or a query value: the unreserved ones of
/// RFC 3986, as Python's `quote_plus` and .NET's `UrlEncode` leave them.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` percent-encoded for a path segment or a query value (`/` as `%2F`, `=` as `%3D`).
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_leaves_unreserved_characters_only() {
        assert_eq!(url_encode("az-c893.46_v1~"), "az-c893.46_v1~");
        assert_eq!(url_encode("a/b=c+d:e f"), "a%2Fb%3Dc%2Bd%3Ae%20f");
    }
}
