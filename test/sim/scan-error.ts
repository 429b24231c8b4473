// Why a simulated phone did not link a companion. `scanQr` / `enterPairingCode` reject with a SimScanError whose
// `code` is stable; the message says what the user would see on the phone.

export type ScanRefusal =
  | 'unknown_ref' // never issued, already used, or its socket closed
  | 'expired' // the server no longer accepts this ref
  | 'companion_gone' // the socket that showed the QR closed
  | 'key_mismatch' // the QR's keys are not the registration's
  | 'already_scanned' // another scan of this registration is linking
  | 'not_on_whatsapp'
  | 'registration_refresh' // the server sent companion_reg_refresh: the companion must show a QR with a new secret
  | 'retired_secret' // the QR carries an ADV secret the server retired: "Couldn't link device"
  | 'passkey_required' // passkey account: the phone shows "Continue on WhatsApp Web"
  | 'no_code_request' // no accepted pairing-code request for this phone
  | 'bad_device_signature'

export class SimScanError extends Error {
  constructor(
    readonly code: ScanRefusal,
    message: string,
  ) {
    super(message)
    this.name = 'SimScanError'
  }
}
