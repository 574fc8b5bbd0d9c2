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
    public const long Success = 0;
    public const long SigText = -1;
    public const long SigIll = -2;
    public const long SigSegv = -3;
    public const long SigCu = -5;
    public const long SigSu = -6;
}

/// <summary>VM fault codes (TN_VM_FAULT_*, docs/spec/errors.md §3).</summary>
public static class VmFaultCode
{
    public const int None = 0;
    public const int Revert = 1;
    public const int SigCu = 2;
    public const int SigSu = 3;
}

/// <summary>Runtime transaction errors (TN_RUNTIME_TXN_*, docs/spec/errors.md §4).</summary>
public static class TxnError
{
    public const int Success = 0;
    public const int InvalidFormat = -255;
    public const int InvalidVersion = -254;
    public const int InvalidFlags = -253;
    public const int InvalidSignature = -252;
    public const int DuplicateAccount = -251;
    public const int UnsortedReadWriteAccounts = -249;
    public const int UnsortedReadOnlyAccounts = -248;
    public const int AccountCountLimitExceeded = -247;
    public const int NonceTooLow = -511;
    public const int NonceTooHigh = -510;
    public const int InsufficientFeePayerBalance = -509;
    public const int FeePayerAccountDoesNotExist = -508;
    public const int NotLiveYet = -507;
    public const int Expired = -506;
    public const int InvalidFeePayerStateProof = -505;
    public const int InvalidFeePayerStateProofType = -504;
    public const int InvalidFeePayerStateProofSlot = -503;
    public const int InvalidFeePayerAccountOwner = -502;
    public const int InvalidFeePayerStateProofAccountOwner = -501;
    public const int InvalidFeePayerStateProofAccountMetaDataSz = -500;
    public const int VmFailed = -767;
    public const int InvalidProgramAccount = -766;
    public const int VmRevert = -765;
    public const int CuExhausted = -764;
    public const int SuExhausted = -763;
}
