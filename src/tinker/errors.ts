// An error the client caused (a bad input, an unsupported option): the API reports it in the
// "user" category, and the SDK does not retry it. Anything else is the server's fault.
export class UserError extends Error {}
