/*
 * printconnect shipping rates for an Infigo checkout (a MegaScript).
 *
 * READ THIS FIRST. Infigo's contract for shipping-rate scripts (what the checkout passes to the script and what it
 * expects back) is not public. This script therefore assumes only runtime pieces that Infigo's published MegaScript
 * type declarations (github.com/Infigo-Official/types-for-megascript, v1/RunObject) describe:
 *   - Run.ExternalApi.Execute({source, action, header, query, body, parameter, raw}, callback(responseText))
 *     for the outbound HTTP call;
 *   - Run.Configurations.GetAllShippingMethodNames() for the storefront's own shipping method names;
 *   - Run.Response.ReturnData(content, contentType, statusCode) to answer when the script runs as an endpoint;
 *   - Run.Data for the input (an assumption: where the checkout puts currency, country, postcode and the basket is
 *     not documented; adapt readInput() to what your storefront hands over).
 * Everything printconnect promises is on its side, documented in its README ("Infigo checkout shipping rates")
 * and in its OpenAPI document (/api/v1/openapi.json): POST /api/v1/shipping-rates.
 *
 * Setup: make an API token with the "Shipping rates" scope (Settings > API tokens, ideally limited to this
 * storefront's store) and put it and printconnect's address below. In Infigo, name each shipping method exactly as
 * printconnect's method code (e.g. STD-NL): the checkout then stores that code as the order's delivery method, and
 * the order maps back to the same method when printconnect imports it.
 */

var PRINTCONNECT_URL = "https://printconnect.example.com"; // no trailing slash
var PRINTCONNECT_TOKEN = "pc_paste-your-token-here";        // keep it out of any page the shopper sees

function readInput() {
  // ASSUMPTION (see above): the checkout hands over the basket's currency, destination and lines in Run.Data.
  var data = Run.Data || {};
  var items = [];
  var lines = data.items || [];
  for (var i = 0; i < lines.length; i++) {
    if (lines[i] && lines[i].uid) {
      items.push({ uid: String(lines[i].uid), quantity: parseInt(lines[i].quantity || 1, 10) });
    }
  }
  return {
    currency: String(data.currency || "").toUpperCase(),
    country: String(data.country || "").toUpperCase(),
    postcode: data.postcode ? String(data.postcode) : null,
    items: items
  };
}

function storefrontMethodNames() {
  // The storefront's own shipping method names, so only methods Infigo knows are offered. An empty list (the call
  // is missing or fails) offers every method printconnect returns.
  try {
    var names = Run.Configurations.GetAllShippingMethodNames();
    var list = [];
    for (var i = 0; i < (names || []).length; i++) {
      list.push(String(names[i].Name).toUpperCase());
    }
    return list;
  } catch (e) {
    return [];
  }
}

function answer(status, payload) {
  Run.Response.ReturnData(JSON.stringify(payload), "application/json", status);
}

function fetchRates(input, done) {
  var body = JSON.stringify(input);
  Run.ExternalApi.Execute(
    {
      source: PRINTCONNECT_URL,
      action: "/api/v1/shipping-rates",
      header: {
        "Authorization": "Bearer " + PRINTCONNECT_TOKEN,
        "Content-Type": "application/json",
        "Accept": "application/json"
      },
      // The same fields as query parameters too: printconnect answers GET and POST alike, whichever the runtime
      // sends.
      query: { currency: input.currency, country: input.country, postcode: input.postcode || "" },
      body: {},
      parameter: {},
      raw: body
    },
    function (responseText) {
      var parsed;
      try {
        parsed = JSON.parse(responseText);
      } catch (e) {
        done({ error: { code: "bad_response", message: "printconnect did not answer with JSON." } });
        return;
      }
      done(parsed);
    }
  );
}

var input = readInput();
fetchRates(input, function (result) {
  if (result.error) {
    // printconnect's message says what to fix (an unknown currency lists the currencies there are).
    answer(422, { methods: [], error: result.error });
    return;
  }
  var known = storefrontMethodNames();
  var methods = [];
  for (var i = 0; i < result.methods.length; i++) {
    var m = result.methods[i];
    if (known.length === 0 || known.indexOf(String(m.delivery_method).toUpperCase()) >= 0) {
      methods.push({
        Name: m.delivery_method,          // what the order keeps as its delivery method
        Description: m.name + " (" + m.carrier.name + ")",
        Price: parseFloat(m.price),       // in result.currency, never converted
        Currency: m.currency,
        ServiceLevel: m.service_level
      });
    }
  }
  answer(200, { currency: result.currency, country: result.country, methods: methods, message: result.message });
});
