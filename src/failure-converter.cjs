// With payload encryption on, failures' messages and stack traces are moved into their encoded
// attributes, so the payload codec encrypts them too ("card ending 4242 was declined" is customer
// data). The SDK loads this module by path (DataConverter.failureConverterPath), in the client,
// in the worker, and inside the workflow bundle: hence plain CommonJS.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
