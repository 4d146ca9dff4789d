// A test that needs something the machine may lack (the native addon, MKL, chromium, PyTorch)
// skips outside CI with the command that provides it. Under CI (CI=true) it never skips: .ci/run
// installs every one of them, so a missing piece is a broken install and must fail the run, not
// hide as a skip (node's summary does not even count tests inside a skipped describe).
export function unlessCi(reason: string | false): string | false {
  return reason && !process.env.CI ? reason : false;
}
