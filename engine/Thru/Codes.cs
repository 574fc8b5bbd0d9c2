namespace Thru.Engine;

/// <summary>Syscall return codes in a0 (docs/spec/errors.md §1, current numbering).</summary>
internal static class SyscallCode
{
    public const long Success = 0;
    public const long InvalidAccountIndex = -8;
    public const long AccountDoesNotExist = -9;
    public const long AccountNotWritable = -10;
    public const long BalanceOverflow = -11;
    public const long AccountTooBig = -12;
    public const long AccountAlreadyExists = -15;
    public const long BadAccountAddress = -16;
    public const long AccountIsNotProgram = -17;
    public const long InvalidSegmentId = -21;
    public const long InvalidAddress = -22;
    public const long InvalidStateProof = -23;
    public const long CallDepthTooDeep = -24;
    public const long InsufficientPages = -26;
    public const long InvalidAccount = -27;
    public const long InvalidSegmentSize = -28;
    public const long UnfreeablePage = -29;
    public const long LogDataTooLarge = -30;
    public const long EventTooLarge = -31;
    public const long InvalidProofLen = -32;
    public const long InvalidProofSlot = -33;
    public const long AccountInCompressionTimeout = -34;
    public const long InvalidAccountDataSize = -35;
    public const long TxnHasCompressedAccount = -37;
    public const long InsufficientBalance = -38;
    public const long InvalidFlags = -41;
    public const long EphemeralAccountCannotCreatePersistent = -42;
    public const long AccountCompressionNotAllowed = -43;
    public const long InvalidSignature = -44;
    public const long AccountUncompressable = -45;
    public const long EventIsZeroSize = -46;
    public const long StateBytesAddedOverflow = -47;
    public const long StateBytesRemovedOverflow = -48;
    public const long ProgramInCallStack = -49;
}

/// <summary>VM error codes (TN_VM_ERR_*, docs/spec/errors.md §2).</summary>
public static class VmErrorCode
{
    /// <summary>Success.</summary>
    public const long Success = 0;
    /// <summary>The program text is invalid or cannot be loaded (SIGTEXT).</summary>
    public const long SigText = -1;
    /// <summary>An illegal instruction (SIGILL).</summary>
    public const long SigIll = -2;
    /// <summary>An invalid memory access: outside the segments, or a protection violation (SIGSEGV).</summary>
    public const long SigSegv = -3;
    /// <summary>Compute units exhausted (SIGCU).</summary>
    public const long SigCu = -5;
    /// <summary>State units exhausted (SIGSU).</summary>
    public const long SigSu = -6;
}

/// <summary>VM fault codes (TN_VM_FAULT_*, docs/spec/errors.md §3).</summary>
public static class VmFaultCode
{
    /// <summary>No fault.</summary>
    public const int None = 0;
    /// <summary>The program reverted.</summary>
    public const int Revert = 1;
    /// <summary>Compute units exhausted.</summary>
    public const int SigCu = 2;
    /// <summary>State units exhausted.</summary>
    public const int SigSu = 3;
}

/// <summary>Runtime transaction errors (TN_RUNTIME_TXN_*, docs/spec/errors.md §4).</summary>
public static class TxnError
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>The wire bytes are not a well-formed transaction.</summary>
    public const int InvalidFormat = -255;
    /// <summary>The version is not 1.</summary>
    public const int InvalidVersion = -254;
    /// <summary>Flag bits that are not allowed.</summary>
    public const int InvalidFlags = -253;
    /// <summary>The signature does not verify.</summary>
    public const int InvalidSignature = -252;
    /// <summary>An account appears twice.</summary>
    public const int DuplicateAccount = -251;
    /// <summary>The read-write accounts are not in ascending key order.</summary>
    public const int UnsortedReadWriteAccounts = -249;
    /// <summary>The read-only accounts are not in ascending key order.</summary>
    public const int UnsortedReadOnlyAccounts = -248;
    /// <summary>More accounts than a transaction may name.</summary>
    public const int AccountCountLimitExceeded = -247;
    /// <summary>The nonce is below the fee payer's.</summary>
    public const int NonceTooLow = -511;
    /// <summary>The nonce is above the fee payer's.</summary>
    public const int NonceTooHigh = -510;
    /// <summary>The fee payer cannot pay the fee.</summary>
    public const int InsufficientFeePayerBalance = -509;
    /// <summary>The fee payer's account does not exist.</summary>
    public const int FeePayerAccountDoesNotExist = -508;
    /// <summary>The start slot is in the future.</summary>
    public const int NotLiveYet = -507;
    /// <summary>The transaction has expired.</summary>
    public const int Expired = -506;
    /// <summary>The fee payer's state proof does not verify.</summary>
    public const int InvalidFeePayerStateProof = -505;
    /// <summary>The fee payer's state proof has the wrong type.</summary>
    public const int InvalidFeePayerStateProofType = -504;
    /// <summary>The fee payer's state proof names a slot outside the window.</summary>
    public const int InvalidFeePayerStateProofSlot = -503;
    /// <summary>The fee payer is not an externally owned account.</summary>
    public const int InvalidFeePayerAccountOwner = -502;
    /// <summary>The fee payer's proof names an owner other than the EOA program.</summary>
    public const int InvalidFeePayerStateProofAccountOwner = -501;
    /// <summary>The fee payer's proof has the wrong metadata size.</summary>
    public const int InvalidFeePayerStateProofAccountMetaDataSz = -500;
    /// <summary>The VM failed: a fault ended the program.</summary>
    public const int VmFailed = -767;
    /// <summary>The program account is missing or not a program.</summary>
    public const int InvalidProgramAccount = -766;
    /// <summary>The program reverted.</summary>
    public const int VmRevert = -765;
    /// <summary>Compute units exhausted.</summary>
    public const int CuExhausted = -764;
    /// <summary>State units exhausted.</summary>
    public const int SuExhausted = -763;
}
