// The data converter's modules that go into the workflow bundle as well as into the client and the
// worker (DataConverter.payloadConverterPath and failureConverterPath: the SDK loads them by path,
// hence plain CommonJS). One prebuilt bundle serves a worker with payload encryption on or off:
//
// - Outside a workflow (the client, the worker's activities), this module is loaded only when
//   encryption is on (dataConverterFor), and failures' messages and stack traces always move into
//   their encoded attributes, which the codec then encrypts ("card ending 4242 was declined" is
//   customer data).
// - Inside a workflow (the bundle), it moves them only when that workflow's own payloads arrived
//   encrypted: the worker's codec marks what it decrypted (DECRYPTED_METADATA), the payload converter
//   below notices the mark. Module state is per workflow execution (the SDK gives each workflow its
//   own module cache), so one workflow's payloads decide for that workflow alone. With encryption
//   off nothing is marked, and failures stay exactly as the SDK's default converter writes them.
//   A bundle built with this failure converter but the SDK's payload converter (the payload
//   converter below never runs) cannot tell, and encodes: the safe side.
const { DefaultFailureConverter, DefaultPayloadConverter } = require('@temporalio/common');
const { inWorkflowContext } = require('@temporalio/workflow');

/** Metadata the worker's codec adds to each payload it decrypted (never stored: see src/temporal/codec.ts). */
const DECRYPTED_METADATA = 'decrypted-with-key';

let converterRan = false;
let sawEncryptedPayload = false;
const plain = new DefaultFailureConverter();
const encoding = new DefaultFailureConverter({ encodeCommonAttributes: true });

/** The SDK's default payload converter, which also notices payloads the codec decrypted. */
class NoticingPayloadConverter extends DefaultPayloadConverter {
  toPayload(...args) {
    converterRan = true;
    return super.toPayload(...args);
  }

  fromPayload(payload, ...rest) {
    converterRan = true;
    if (payload?.metadata?.[DECRYPTED_METADATA]) sawEncryptedPayload = true;
    return super.fromPayload(payload, ...rest);
  }
}

exports.DECRYPTED_METADATA = DECRYPTED_METADATA;
exports.payloadConverter = new NoticingPayloadConverter();

/** Whether failures' common attributes are encoded here: see the top of this file. */
exports.encodesFailures = () => !inWorkflowContext() || sawEncryptedPayload || !converterRan;

exports.failureConverter = {
  errorToFailure: (...args) => (exports.encodesFailures() ? encoding : plain).errorToFailure(...args),
  // Decoding reads encoded attributes whenever a failure has them, whatever the options.
  failureToError: (...args) => plain.failureToError(...args),
};
