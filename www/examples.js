// Built-in examples for the payload tester: one per provider, each a published (or, where
// the provider publishes none, a computed and labelled) vector from tests/vectors/, each
// naming its primary source. Bodies are the vectors' exact bytes: never reformat them.
//
// Fields: label, origin ('published' | 'computed'), source, secrets (one per line),
// hmac_secrets, options (extra route fields), request {method, headers, body}, now
// (pinned clock for old timestamps, shown on the page with its note), payload (the
// signer's default), decrypt (SIBS key/iv/tag/body).
// PROVIDERS[name].demoSecrets / demoPath: the npm start demo route's secret (.dev.vars) and
// path (wrangler.toml) where they differ from the example's and /hooks/<name>, so the
// signer's curl is accepted by the local dev server as it is.

/** How each provider's secrets are written (labels and help on the page). Providers not
 *  listed here still work, with a generic secrets field. */
export const PROVIDERS = {
  worldline: {
    label: 'Worldline',
    secretsHelp: 'KEY_ID:SECRET lines; X-GCS-KeyId selects the line. The secret is used as text, never base64-decoded.',
    payloadHelp: 'The JSON event body.',
  },
  sibs: {
    label: 'SIBS',
    secretsHelp: 'The base64 AES-256 key from the SIBS Backoffice (32 bytes); one per line during a rotation.',
    payloadHelp: 'The plaintext JSON notification: it is encrypted with a random IV.',
    // The npm start demo key (.dev.vars DEMO_SIBS_KEY), so a signed curl is accepted locally.
    demoSecrets: 'xRGrthkhSS86zYjWUYphHpQovr/ZeWd1slS+OCqBtH0=',
  },
  'lyra-rest': {
    label: 'Lyra REST',
    secretsHelp: 'The REST API password (kr-hash-key=password: the IPN).',
    hmacHelp: 'The HMAC-SHA-256 key (kr-hash-key=sha256_hmac: the browser return).',
    payloadHelp: 'The kr-answer JSON: it is sent form-encoded with kr-hash.',
  },
  'lyra-form': {
    label: 'Lyra form',
    secretsHelp: 'KEY, or TEST:KEY / PRODUCTION:KEY lines (vads_ctx_mode picks the key). Option {"signature":"sha1"} for the deprecated SHA-1.',
    payloadHelp: 'The vads_ fields, form-encoded, without signature.',
  },
  everifin: {
    label: 'Everifin',
    secretsHelp: 'The hook secret, as text; several lines during a regeneration.',
    payloadHelp: 'The JSON hook body.',
  },
  fedapay: {
    label: 'FedaPay',
    secretsHelp: 'The webhook secret exactly as the dashboard shows it (wh_sandbox_… / wh_live_…), used as text.',
    payloadHelp: 'The JSON event body.',
    demoSecrets: 'wh_sandbox_DEMO_edgehook_not_a_real_secret',
  },
  stripe: {
    label: 'Stripe',
    secretsHelp: 'The endpoint signing secret, whsec_ prefix included: Stripe keys the HMAC with the whole string.',
    payloadHelp: 'The JSON event body.',
    demoSecrets: 'whsec_DEMO_edgehook_not_a_real_stripe_secret',
  },
  'standard-webhooks': {
    label: 'Standard Webhooks',
    secretsHelp: 'whsec_<base64>: the key is the base64-decoded part (prefix optional).',
    payloadHelp: 'The JSON body; a webhook-id is generated.',
  },
  'generic-hmac': {
    label: 'Generic HMAC',
    secretsHelp: 'The shared secret; the route option "scheme" says how it is encoded and where the signature goes.',
    payloadHelp: 'The body to sign.',
    optionsHelp: '{"scheme": {"header": "X-Hub-Signature-256", "prefix": "sha256="}} (GitHub); see the README for all fields.',
    demoPath: '/hooks/generic',
  },
};

export const EXAMPLES = {
  worldline: {
    label: 'Worldline',
    origin: 'published',
    source: 'Worldline Direct SDK tests: wl-online-payments-direct/sdk-java src/test/java/com/onlinepayments/webhooks/SignatureValidatorTest.java and WebhooksHelperTest.java',
    secrets: 'dummy-key-id:hello+world',
    request: {
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-GCS-Signature', '2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk='],
        ['X-GCS-KeyId', 'dummy-key-id'],
      ],
      body: "{\n  \"apiVersion\": \"v1\",\n  \"id\": \"8ee793f6-4553-4749-85dc-f2ef095c5ab0\",\n  \"created\": \"2017-02-02T11:24:14.040+0100\",\n  \"merchantId\": \"20000\",\n  \"type\": \"payment.paid\",\n  \"payment\": {\n    \"id\": \"00000200000143570012\",\n    \"paymentOutput\": {\n      \"amountOfMoney\": {\n        \"amount\": 1000,\n        \"currencyCode\": \"EUR\"\n      },\n      \"references\": {\n        \"paymentReference\": \"200001681810\"\n      },\n      \"paymentMethod\": \"bankTransfer\",\n      \"bankTransferPaymentMethodSpecificOutput\": {\n        \"paymentProductId\": 11\n      }\n    },\n    \"status\": \"PAID\",\n    \"statusOutput\": {\n      \"isCancellable\": false,\n      \"statusCategory\": \"COMPLETED\",\n      \"statusCode\": 1000,\n      \"statusCodeChangeDateTime\": \"20170202112414\",\n      \"isAuthorized\": true\n    }\n  }\n}",
    },
  },
  sibs: {
    label: 'SIBS',
    origin: 'published',
    source: 'SIBS Gateway docs, "Webhooks: examples" decryption samples (https://www.docs.pay.sibs.com/portugal/sibs-gateway/notifications/webhooks/examples)',
    secrets: "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sGQ=",
    request: {
      method: 'POST',
      headers: [
        ['Content-Type', 'text/plain'],
        ['X-Initialization-Vector', "RYjpCMtUmK54T6Lk"],
        ['X-Authentication-Tag', "FUajWHmZjP4A5qaa1G0kxw=="],
      ],
      body: "9bIjURJIcwoKvQr+ifOTH3HbMX+IqmsRqHuG/I1GfbSX89JE5DcWh/p8QROC5pRAuYZ7ln7RSkHXJdZpVz1LFQ2859WsetvHHui7qYmfxATOO1j0AQuPdAD3FeRH0kR4s/v3c2nV81DnUXFCnQER/+VWrYdbu5vn8gm+diSE6CHvkK+ODy0ebVi5O6VBnWVjgBUG33VwWiAyIl7Ik435V55WnZgynH3GfbVYoGwZ5UhYtn3yw2yruiLAKu6VTBvnh/ZJP21cHCJSF6NPSd+81gzWFU/+ECm3cf3uBbCkmKmL7HxRhRxhG0lMtX6ELZOXuw3eDJ1BTu+sSMkV/5Xk+5XX48XmP6CGZ7KmP7Q3Fw1kZmhn0unFyv0Gw8PjT1Ohny/HMgNl16I=",
    },
    decrypt: { key: "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sGQ=", iv: "RYjpCMtUmK54T6Lk", tag: "FUajWHmZjP4A5qaa1G0kxw==", body: "9bIjURJIcwoKvQr+ifOTH3HbMX+IqmsRqHuG/I1GfbSX89JE5DcWh/p8QROC5pRAuYZ7ln7RSkHXJdZpVz1LFQ2859WsetvHHui7qYmfxATOO1j0AQuPdAD3FeRH0kR4s/v3c2nV81DnUXFCnQER/+VWrYdbu5vn8gm+diSE6CHvkK+ODy0ebVi5O6VBnWVjgBUG33VwWiAyIl7Ik435V55WnZgynH3GfbVYoGwZ5UhYtn3yw2yruiLAKu6VTBvnh/ZJP21cHCJSF6NPSd+81gzWFU/+ECm3cf3uBbCkmKmL7HxRhRxhG0lMtX6ELZOXuw3eDJ1BTu+sSMkV/5Xk+5XX48XmP6CGZ7KmP7Q3Fw1kZmhn0unFyv0Gw8PjT1Ohny/HMgNl16I=" },
    payload: "{\"returnStatus\":{\"statusMsg\":\"Success\",\"statusCode\":\"000\"},\"paymentStatus\":\"Success\",\"paymentMethod\":\"CARD\",\"transactionID\":\"8vfDedn6RvmEC3WNZTRm\",\"amount\":{\"currency\":\"EUR\",\"value\":2.0},\"merchant\":{\"terminalId\":50994},\"paymentType\":\"PURS\",\"notificationID\":\"de64fbe2-0e6e-4d94-b50c-3dac491e76ff\"}",
  },
  'lyra-rest': {
    label: 'Lyra REST',
    origin: 'published',
    source: 'Lyra REST SDK test: lyra/rest-php-examples rest-php-sdk/Tests/ClientTest.php (password + kr-answer + kr-hash)',
    secrets: 'testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M',
    hmac_secrets: '38453613e7f44dc58732bad3dca2bca3',
    request: {
      method: 'POST',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: "kr-hash=88fb7b4838a73c2674ca00ee545454d78dd4b1b733a07c855a1d4460d4417f85&kr-hash-algorithm=sha256_hmac&kr-hash-key=password&kr-answer-type=V4%2FPayment&kr-answer=%7B%22shopId%22%3A%2269876357%22%2C%22orderCycle%22%3A%22CLOSED%22%2C%22orderStatus%22%3A%22PAID%22%2C%22serverDate%22%3A%222018-12-11T19%3A09%3A32%2B00%3A00%22%2C%22orderDetails%22%3A%7B%22orderTotalAmount%22%3A990%2C%22orderCurrency%22%3A%22EUR%22%2C%22mode%22%3A%22TEST%22%2C%22orderId%22%3A%22myOrderId-618776%22%2C%22_type%22%3A%22V4%2FOrderDetails%22%7D%2C%22customer%22%3A%7B%22billingDetails%22%3A%7B%22address%22%3Anull%2C%22category%22%3Anull%2C%22cellPhoneNumber%22%3Anull%2C%22city%22%3Anull%2C%22country%22%3Anull%2C%22district%22%3Anull%2C%22firstName%22%3Anull%2C%22identityCode%22%3Anull%2C%22language%22%3A%22FR%22%2C%22lastName%22%3Anull%2C%22phoneNumber%22%3Anull%2C%22state%22%3Anull%2C%22streetNumber%22%3Anull%2C%22title%22%3Anull%2C%22zipCode%22%3Anull%2C%22_type%22%3A%22V4%2FCustomer%2FBillingDetails%22%7D%2C%22email%22%3A%22sample%40example.com%22%2C%22reference%22%3Anull%2C%22shippingDetails%22%3A%7B%22address%22%3Anull%2C%22address2%22%3Anull%2C%22category%22%3Anull%2C%22city%22%3Anull%2C%22country%22%3Anull%2C%22deliveryCompanyName%22%3Anull%2C%22district%22%3Anull%2C%22firstName%22%3Anull%2C%22identityCode%22%3Anull%2C%22lastName%22%3Anull%2C%22legalName%22%3Anull%2C%22phoneNumber%22%3Anull%2C%22shippingMethod%22%3Anull%2C%22shippingSpeed%22%3Anull%2C%22state%22%3Anull%2C%22streetNumber%22%3Anull%2C%22zipCode%22%3Anull%2C%22_type%22%3A%22V4%2FCustomer%2FShippingDetails%22%7D%2C%22extraDetails%22%3A%7B%22browserAccept%22%3Anull%2C%22fingerPrintId%22%3Anull%2C%22ipAddress%22%3A%2290.71.64.161%22%2C%22browserUserAgent%22%3A%22Mozilla%2F5.0+%28Macintosh%3B+Intel+Mac+OS+X+10_13_4%29+AppleWebKit%2F537.36+%28KHTML%2C+like+Gecko%29+Chrome%2F70.0.3538.110+Safari%2F537.36%22%2C%22_type%22%3A%22V4%2FCustomer%2FExtraDetails%22%7D%2C%22shoppingCart%22%3A%7B%22insuranceAmount%22%3Anull%2C%22shippingAmount%22%3Anull%2C%22taxAmount%22%3Anull%2C%22cartItemInfo%22%3Anull%2C%22_type%22%3A%22V4%2FCustomer%2FShoppingCart%22%7D%2C%22_type%22%3A%22V4%2FCustomer%2FCustomer%22%7D%2C%22transactions%22%3A%5B%7B%22shopId%22%3A%2269876357%22%2C%22uuid%22%3A%22017574bda28e4f1d8413b97fc65c8197%22%2C%22amount%22%3A990%2C%22currency%22%3A%22EUR%22%2C%22paymentMethodType%22%3A%22CARD%22%2C%22paymentMethodToken%22%3Anull%2C%22status%22%3A%22PAID%22%2C%22detailedStatus%22%3A%22AUTHORISED%22%2C%22operationType%22%3A%22DEBIT%22%2C%22effectiveStrongAuthentication%22%3A%22DISABLED%22%2C%22creationDate%22%3A%222018-12-11T19%3A09%3A32%2B00%3A00%22%2C%22errorCode%22%3Anull%2C%22errorMessage%22%3Anull%2C%22detailedErrorCode%22%3Anull%2C%22detailedErrorMessage%22%3Anull%2C%22metadata%22%3Anull%2C%22transactionDetails%22%3A%7B%22liabilityShift%22%3A%22NO%22%2C%22effectiveAmount%22%3A990%2C%22effectiveCurrency%22%3A%22EUR%22%2C%22creationContext%22%3A%22CHARGE%22%2C%22cardDetails%22%3A%7B%22paymentSource%22%3A%22EC%22%2C%22manualValidation%22%3A%22NO%22%2C%22expectedCaptureDate%22%3A%222018-12-11T19%3A09%3A32%2B00%3A00%22%2C%22effectiveBrand%22%3A%22CB%22%2C%22pan%22%3A%22497010XXXXXX0055%22%2C%22expiryMonth%22%3A11%2C%22expiryYear%22%3A2021%2C%22country%22%3A%22FR%22%2C%22emisorCode%22%3Anull%2C%22effectiveProductCode%22%3A%22F%22%2C%22legacyTransId%22%3A%22908967%22%2C%22legacyTransDate%22%3A%222018-12-11T19%3A09%3A26%2B00%3A00%22%2C%22paymentMethodSource%22%3A%22NEW%22%2C%22authorizationResponse%22%3A%7B%22amount%22%3A990%2C%22currency%22%3A%22EUR%22%2C%22authorizationDate%22%3A%222018-12-11T19%3A09%3A32%2B00%3A00%22%2C%22authorizationNumber%22%3A%223fd0e3%22%2C%22authorizationResult%22%3A%220%22%2C%22authorizationMode%22%3A%22FULL%22%2C%22_type%22%3A%22V4%2FPaymentMethod%2FDetails%2FCards%2FCardAuthorizationResponse%22%7D%2C%22captureResponse%22%3A%7B%22refundAmount%22%3Anull%2C%22captureDate%22%3Anull%2C%22captureFileNumber%22%3Anull%2C%22refundCurrency%22%3Anull%2C%22_type%22%3A%22V4%2FPaymentMethod%2FDetails%2FCards%2FCardCaptureResponse%22%7D%2C%22threeDSResponse%22%3A%7B%22authenticationResultData%22%3A%7B%22transactionCondition%22%3A%22COND_3D_ERROR%22%2C%22enrolled%22%3A%22UNKNOWN%22%2C%22status%22%3A%22UNKNOWN%22%2C%22eci%22%3Anull%2C%22xid%22%3Anull%2C%22cavvAlgorithm%22%3Anull%2C%22cavv%22%3Anull%2C%22signValid%22%3Anull%2C%22brand%22%3A%22VISA%22%2C%22_type%22%3A%22V4%2FPaymentMethod%2FDetails%2FCards%2FCardAuthenticationResponse%22%7D%2C%22_type%22%3A%22V4%2FPaymentMethod%2FDetails%2FCards%2FThreeDSResponse%22%7D%2C%22markAuthorizationResponse%22%3A%7B%22amount%22%3Anull%2C%22currency%22%3Anull%2C%22authorizationDate%22%3Anull%2C%22authorizationNumber%22%3Anull%2C%22authorizationResult%22%3Anull%2C%22_type%22%3A%22V4%2FPaymentMethod%2FDetails%2FCards%2FMarkAuthorizationResponse%22%7D%2C%22_type%22%3A%22V4%2FPaymentMethod%2FDetails%2FCardDetails%22%7D%2C%22fraudManagement%22%3Anull%2C%22parentTransactionUuid%22%3Anull%2C%22mid%22%3A%226969696%22%2C%22sequenceNumber%22%3A1%2C%22additionalFields%22%3A%7B%22installmentNumber%22%3Anull%2C%22_type%22%3A%22V4%2FPaymentMethod%2FDetails%2FAdditionalFields%22%7D%2C%22_type%22%3A%22V4%2FTransactionDetails%22%7D%2C%22_type%22%3A%22V4%2FPaymentTransaction%22%7D%5D%2C%22_type%22%3A%22V4%2FPayment%22%7D",
    },
    payload: "{\"shopId\":\"69876357\",\"orderCycle\":\"CLOSED\",\"orderStatus\":\"PAID\",\"serverDate\":\"2018-12-11T19:09:32+00:00\",\"orderDetails\":{\"orderTotalAmount\":990,\"orderCurrency\":\"EUR\",\"mode\":\"TEST\",\"orderId\":\"myOrderId-618776\",\"_type\":\"V4/OrderDetails\"},\"customer\":{\"billingDetails\":{\"address\":null,\"category\":null,\"cellPhoneNumber\":null,\"city\":null,\"country\":null,\"district\":null,\"firstName\":null,\"identityCode\":null,\"language\":\"FR\",\"lastName\":null,\"phoneNumber\":null,\"state\":null,\"streetNumber\":null,\"title\":null,\"zipCode\":null,\"_type\":\"V4/Customer/BillingDetails\"},\"email\":\"sample@example.com\",\"reference\":null,\"shippingDetails\":{\"address\":null,\"address2\":null,\"category\":null,\"city\":null,\"country\":null,\"deliveryCompanyName\":null,\"district\":null,\"firstName\":null,\"identityCode\":null,\"lastName\":null,\"legalName\":null,\"phoneNumber\":null,\"shippingMethod\":null,\"shippingSpeed\":null,\"state\":null,\"streetNumber\":null,\"zipCode\":null,\"_type\":\"V4/Customer/ShippingDetails\"},\"extraDetails\":{\"browserAccept\":null,\"fingerPrintId\":null,\"ipAddress\":\"90.71.64.161\",\"browserUserAgent\":\"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.110 Safari/537.36\",\"_type\":\"V4/Customer/ExtraDetails\"},\"shoppingCart\":{\"insuranceAmount\":null,\"shippingAmount\":null,\"taxAmount\":null,\"cartItemInfo\":null,\"_type\":\"V4/Customer/ShoppingCart\"},\"_type\":\"V4/Customer/Customer\"},\"transactions\":[{\"shopId\":\"69876357\",\"uuid\":\"017574bda28e4f1d8413b97fc65c8197\",\"amount\":990,\"currency\":\"EUR\",\"paymentMethodType\":\"CARD\",\"paymentMethodToken\":null,\"status\":\"PAID\",\"detailedStatus\":\"AUTHORISED\",\"operationType\":\"DEBIT\",\"effectiveStrongAuthentication\":\"DISABLED\",\"creationDate\":\"2018-12-11T19:09:32+00:00\",\"errorCode\":null,\"errorMessage\":null,\"detailedErrorCode\":null,\"detailedErrorMessage\":null,\"metadata\":null,\"transactionDetails\":{\"liabilityShift\":\"NO\",\"effectiveAmount\":990,\"effectiveCurrency\":\"EUR\",\"creationContext\":\"CHARGE\",\"cardDetails\":{\"paymentSource\":\"EC\",\"manualValidation\":\"NO\",\"expectedCaptureDate\":\"2018-12-11T19:09:32+00:00\",\"effectiveBrand\":\"CB\",\"pan\":\"497010XXXXXX0055\",\"expiryMonth\":11,\"expiryYear\":2021,\"country\":\"FR\",\"emisorCode\":null,\"effectiveProductCode\":\"F\",\"legacyTransId\":\"908967\",\"legacyTransDate\":\"2018-12-11T19:09:26+00:00\",\"paymentMethodSource\":\"NEW\",\"authorizationResponse\":{\"amount\":990,\"currency\":\"EUR\",\"authorizationDate\":\"2018-12-11T19:09:32+00:00\",\"authorizationNumber\":\"3fd0e3\",\"authorizationResult\":\"0\",\"authorizationMode\":\"FULL\",\"_type\":\"V4/PaymentMethod/Details/Cards/CardAuthorizationResponse\"},\"captureResponse\":{\"refundAmount\":null,\"captureDate\":null,\"captureFileNumber\":null,\"refundCurrency\":null,\"_type\":\"V4/PaymentMethod/Details/Cards/CardCaptureResponse\"},\"threeDSResponse\":{\"authenticationResultData\":{\"transactionCondition\":\"COND_3D_ERROR\",\"enrolled\":\"UNKNOWN\",\"status\":\"UNKNOWN\",\"eci\":null,\"xid\":null,\"cavvAlgorithm\":null,\"cavv\":null,\"signValid\":null,\"brand\":\"VISA\",\"_type\":\"V4/PaymentMethod/Details/Cards/CardAuthenticationResponse\"},\"_type\":\"V4/PaymentMethod/Details/Cards/ThreeDSResponse\"},\"markAuthorizationResponse\":{\"amount\":null,\"currency\":null,\"authorizationDate\":null,\"authorizationNumber\":null,\"authorizationResult\":null,\"_type\":\"V4/PaymentMethod/Details/Cards/MarkAuthorizationResponse\"},\"_type\":\"V4/PaymentMethod/Details/CardDetails\"},\"fraudManagement\":null,\"parentTransactionUuid\":null,\"mid\":\"6969696\",\"sequenceNumber\":1,\"additionalFields\":{\"installmentNumber\":null,\"_type\":\"V4/PaymentMethod/Details/AdditionalFields\"},\"_type\":\"V4/TransactionDetails\"},\"_type\":\"V4/PaymentTransaction\"}],\"_type\":\"V4/Payment\"}",
  },
  'lyra-form': {
    label: 'Lyra form',
    origin: 'computed',
    source: 'Computed (Python hmac over the UTF-8 values, re-checked with node:crypto): an IPN signed as the Lyra docs\' "Computing the IPN signature" describe (https://docs.lyra.com/en-EN/collect/form-payment/standard-payment/computing-the-ipn-signature.html); the docs\' own example is a payment-form request, which verifies but lacks the IPN fields (vads_trans_uuid, vads_trans_status) the event is built on',
    secrets: 'TEST:1122334455667788',
    request: {
      method: 'POST',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: "vads_action_mode=INTERACTIVE&vads_amount=4525&vads_auth_result=00&vads_card_brand=CB&vads_card_number=497010XXXXXX0055&vads_ctx_mode=TEST&vads_currency=978&vads_cust_email=zoe%40example.com&vads_cust_name=Zo%C3%AB+%C3%85ngstr%C3%B6m&vads_effective_creation_date=20240305101530&vads_operation_type=DEBIT&vads_order_id=CMD-2024-0042&vads_page_action=PAYMENT&vads_payment_config=SINGLE&vads_result=00&vads_site_id=12345678&vads_trans_date=20240305101512&vads_trans_id=370015&vads_trans_status=AUTHORISED&vads_trans_uuid=9a1b2c3d4e5f60718293a4b5c6d7e8f9&vads_url_check_src=PAY&vads_version=V2&signature=HV0ky156I13ZzkTq8ioGLEXxSmIHFaZ9lfhdYDxLgQs%3D",
    },
    payload: "vads_action_mode=INTERACTIVE&vads_amount=4525&vads_auth_result=00&vads_card_brand=CB&vads_card_number=497010XXXXXX0055&vads_ctx_mode=TEST&vads_currency=978&vads_cust_email=zoe%40example.com&vads_cust_name=Zo%C3%AB+%C3%85ngstr%C3%B6m&vads_effective_creation_date=20240305101530&vads_operation_type=DEBIT&vads_order_id=CMD-2024-0042&vads_page_action=PAYMENT&vads_payment_config=SINGLE&vads_result=00&vads_site_id=12345678&vads_trans_date=20240305101512&vads_trans_id=370015&vads_trans_status=AUTHORISED&vads_trans_uuid=9a1b2c3d4e5f60718293a4b5c6d7e8f9&vads_url_check_src=PAY&vads_version=V2",
  },
  everifin: {
    label: 'Everifin',
    origin: 'published',
    source: 'Everifin Paygate docs, "Webhooks Security" example (https://everifin.atlassian.net/wiki/spaces/EPAD/pages/2740125725)',
    secrets: 'abcd',
    request: {
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['Signature', 'ts=2024-05-07T14:49:55.887Z;v0=25450941c271d5309b57a5ba21486331cb21531fa2a28a0f5f87cc93ebbbe60e'],
      ],
      body: "{\"eventType\":\"payment.statusChange\",\"eventTimestamp\":\"2024-05-07T14:49:55.884Z\",\"eventId\":\"c2949dfe-4585-46eb-9213-35f0f7faf055\",\"clientId\":\"62d23f64-2317-4071-8779-1cf52695b93d\",\"hookType\":\"payment.statusChange\",\"timestamp\":\"2024-05-07T14:49:55.884Z\",\"data\":{\"paymentId\":\"da96bc8f-cc77-4ae8-80ac-84b648178d60\",\"status\":\"BOOKED\"}}",
    },
    now: { ms: 1715093395887, note: 'Clock pinned to the example\'s signing time (2024-05-07T14:49:55.887Z): the published hook is old, so the real clock would reject it as stale.' },
  },
  fedapay: {
    label: 'FedaPay',
    origin: 'computed',
    source: 'Computed (Python hmac, cross-checked with node:crypto): FedaPay publishes no fixed vector; scheme from fedapay/fedapay-php lib/WebhookSignature.php',
    secrets: 'whsec_test_secret',
    request: {
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-FEDAPAY-SIGNATURE', 't=12345,s=2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e'],
      ],
      body: "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}",
    },
    now: { ms: 12345000, note: 'Clock pinned to the vector\'s t=12345 (1970): the computed vector uses a fixed timestamp.' },
  },
  stripe: {
    label: 'Stripe',
    origin: 'computed',
    source: 'Computed (Python hmac, cross-checked with stripe-node src/Webhooks.ts generateTestHeaderString): Stripe publishes no fixed vector',
    secrets: 'whsec_test_secret',
    request: {
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['Stripe-Signature', 't=12345,v1=2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e'],
      ],
      body: "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}",
    },
    now: { ms: 12345000, note: 'Clock pinned to the vector\'s t=12345 (1970): the computed vector uses a fixed timestamp.' },
  },
  'standard-webhooks': {
    label: 'Standard Webhooks',
    origin: 'published',
    source: 'Standard Webhooks library tests: standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts and libraries/python/tests/test_webhooks.py (sign vector)',
    secrets: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    request: {
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['webhook-id', 'msg_p5jXN8AQM9LWM0D4loKWxJek'],
        ['webhook-timestamp', '1614265330'],
        ['webhook-signature', 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='],
      ],
      body: "{\"test\": 2432232314}",
    },
    now: { ms: 1614265330000, note: 'Clock pinned to the vector\'s webhook-timestamp 1614265330 (2021-02-25T15:02:10Z).' },
  },
  'generic-hmac': {
    label: 'Generic HMAC (GitHub)',
    origin: 'published',
    source: 'GitHub docs, "Validating webhook deliveries" test values (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries)',
    secrets: "It's a Secret to Everybody",
    // The npm start demo route's scheme (wrangler.toml /hooks/generic): GitHub's headers.
    options: { scheme: { header: 'X-Hub-Signature-256', prefix: 'sha256=', id_header: 'X-GitHub-Delivery', event_header: 'X-GitHub-Event' } },
    request: {
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Hub-Signature-256', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
      ],
      body: "Hello, World!",
    },
  },
};

/** The npm start demo route's path (wrangler.toml): the signer's default target. */
export const demoPath = (provider) => PROVIDERS[provider]?.demoPath ?? '/hooks/' + provider;
