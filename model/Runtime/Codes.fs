/// Every numeric code of ThruVM and its runtime (docs/spec/errors.md, current numbering).
module Thru.Model.Runtime.Codes

/// Syscall return codes in a0 (docs/spec/errors.md §1; 64-bit two's complement).
[<RequireQualifiedAccess>]
module Syscall =
    let success = 0L
    let successExit = 1L
    let badSegmentTableSize = -7L
    let invalidAccountIndex = -8L
    let accountDoesNotExist = -9L
    let accountNotWritable = -10L
    let balanceOverflow = -11L
    let accountTooBig = -12L
    let invalidObjRefKind = -13L
    let objNotWritable = -14L
    let accountAlreadyExists = -15L
    let badAccountAddress = -16L
    let accountIsNotProgram = -17L
    let accountHasData = -18L
    let segmentAlreadyMapped = -19L
    let badParams = -20L
    let invalidSegmentId = -21L
    let invalidAddress = -22L
    let invalidStateProof = -23L
    let callDepthTooDeep = -24L
    let revert = -25L
    let insufficientPages = -26L
    let invalidAccount = -27L
    let invalidSegmentSize = -28L
    let unfreeablePage = -29L
    let logDataTooLarge = -30L
    let eventTooLarge = -31L
    let invalidProofLen = -32L
    let invalidProofSlot = -33L
    let accountInCompressionTimeout = -34L
    let invalidAccountDataSize = -35L
    let invalidSeedLength = -36L
    let txnHasCompressedAccount = -37L
    let insufficientBalance = -38L
    let invalidOffset = -39L
    let computeUnitsExceeded = -40L
    let invalidFlags = -41L
    let ephemeralAccountCannotCreatePersistent = -42L
    let accountCompressionNotAllowed = -43L
    let invalidSignature = -44L
    let accountUncompressable = -45L
    let eventIsZeroSize = -46L
    let stateBytesAddedOverflow = -47L
    let stateBytesRemovedOverflow = -48L
    let programInCallStack = -49L

/// VM error codes (TN_VM_ERR_*, docs/spec/errors.md §2).
[<RequireQualifiedAccess>]
module VmError =
    let success = 0L
    let sigtext = -1L
    let sigill = -2L
    let sigsegv = -3L
    let sigfault = -4L
    let sigcu = -5L
    let sigsu = -6L

/// VM fault codes (TN_VM_FAULT_*, proto VmFaultCode, docs/spec/errors.md §3).
[<RequireQualifiedAccess>]
module FaultCode =
    let none = 0
    let revert = 1
    let sigcu = 2
    let sigsu = 3

/// Runtime transaction errors (TN_RUNTIME_TXN_*, proto TransactionVmError, docs/spec/errors.md §4).
[<RequireQualifiedAccess>]
module Txn =
    let success = 0
    let invalidFormat = -255
    let invalidVersion = -254
    let invalidFlags = -253
    let invalidSignature = -252
    let duplicateAccount = -251
    let unsortedAccounts = -250
    let unsortedReadWriteAccounts = -249
    let unsortedReadOnlyAccounts = -248
    let accountCountLimitExceeded = -247
    let nonceTooLow = -511
    let nonceTooHigh = -510
    let insufficientFeePayerBalance = -509
    let feePayerAccountDoesNotExist = -508
    let notLiveYet = -507
    let expired = -506
    let invalidFeePayerStateProof = -505
    let invalidFeePayerStateProofType = -504
    let invalidFeePayerStateProofSlot = -503
    let invalidFeePayerAccountOwner = -502
    let invalidFeePayerStateProofAccountOwner = -501
    let invalidFeePayerStateProofAccountMetaDataSz = -500
    let vmFailed = -767
    let invalidProgramAccount = -766
    let vmRevert = -765
    let cuExhausted = -764
    let suExhausted = -763

/// The name of a runtime transaction error, as the protocol spells it.
let txnErrorName (code: int) =
    match code with
    | 0 -> "EXECUTE_SUCCESS"
    | -255 -> "ERR_INVALID_FORMAT"
    | -254 -> "ERR_INVALID_VERSION"
    | -253 -> "ERR_INVALID_FLAGS"
    | -252 -> "ERR_INVALID_SIGNATURE"
    | -251 -> "ERR_DUPLICATE_ACCOUNT"
    | -250 -> "ERR_UNSORTED_ACCOUNTS"
    | -249 -> "ERR_UNSORTED_READWRITE_ACCOUNTS"
    | -248 -> "ERR_UNSORTED_READONLY_ACCOUNTS"
    | -247 -> "ERR_ACCOUNT_COUNT_LIMIT_EXCEEDED"
    | -511 -> "ERR_NONCE_TOO_LOW"
    | -510 -> "ERR_NONCE_TOO_HIGH"
    | -509 -> "ERR_INSUFFICIENT_FEE_PAYER_BALANCE"
    | -508 -> "ERR_FEE_PAYER_ACCOUNT_DOES_NOT_EXIST"
    | -507 -> "ERR_NOT_LIVE_YET"
    | -506 -> "ERR_EXPIRED"
    | -505 -> "ERR_INVALID_FEE_PAYER_STATE_PROOF"
    | -504 -> "ERR_INVALID_FEE_PAYER_STATE_PROOF_TYPE"
    | -503 -> "ERR_INVALID_FEE_PAYER_STATE_PROOF_SLOT"
    | -502 -> "ERR_INVALID_FEE_PAYER_ACCOUNT_OWNER"
    | -501 -> "ERR_INVALID_FEE_PAYER_STATE_PROOF_ACCOUNT_OWNER"
    | -500 -> "ERR_INVALID_FEE_PAYER_STATE_PROOF_ACCOUNT_META_DATA_SZ"
    | -767 -> "ERR_VM_FAILED"
    | -766 -> "ERR_INVALID_PROGRAM_ACCOUNT"
    | -765 -> "ERR_VM_REVERT"
    | -764 -> "ERR_CU_EXHAUSTED"
    | -763 -> "ERR_SU_EXHAUSTED"
    | c -> sprintf "UNKNOWN_%d" c

/// Syscall numbers (a7).
[<RequireQualifiedAccess>]
module SyscallNumber =
    let setAnonymousSegmentSz = 0x00UL
    let incrementAnonymousSegmentSz = 0x01UL
    let setAccountDataWritable = 0x02UL
    let accountTransfer = 0x03UL
    let accountCreate = 0x04UL
    let accountCreateEphemeral = 0x05UL
    let accountDelete = 0x06UL
    let accountResize = 0x07UL
    let accountCompress = 0x08UL
    let accountDecompress = 0x09UL
    let invoke = 0x0AUL
    let exit = 0x0BUL
    let log = 0x0CUL
    let emitEvent = 0x0DUL
    let accountSetFlags = 0x0EUL
    let accountCreateEoa = 0x0FUL
