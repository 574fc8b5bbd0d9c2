using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Thru.Engine;

/// <summary>
/// Executing a transaction (docs/spec/transactions.md §3, §5, §7, §8): validation, pre-execution (liveness, fee payer, nonce,
/// fee), the program account, the run, then commit or rollback and the result record.
/// </summary>
public static class TransactionExecutor
{
    /// <summary>
    /// Executes the transaction <paramref name="wire"/> in <paramref name="env"/>. Never throws for any input bytes;
    /// the environment is not modified (the result lists the accounts to update).
    /// </summary>
    public static EngineResult Execute(EngineEnvironment env, ReadOnlySpan<byte> wire)
    {
        Prepared? prepared = Prepare(env, wire, out EngineResult? early);
        if (prepared == null)
        {
            return early!;
        }

        using ThruVm vm = prepared.Vm;
        vm.Run();
        return Finish(prepared);
    }

    /// <summary>A transaction ready to execute: its machine, made with everything <see cref="Finish"/> needs.</summary>
    internal sealed record Prepared(EngineEnvironment Env, WireTransaction Txn, AccountSlot[] Accounts, List<KeyValuePair<PublicKey, EngineAccount?>> AfterFee, ThruVm Vm);

    /// <summary>
    /// Everything before execution: parse, check, charge the fee, load the accounts, make the machine. Null when the
    /// transaction ends before executing (<paramref name="early"/> is then its result).
    /// </summary>
    internal static Prepared? Prepare(EngineEnvironment env, ReadOnlySpan<byte> wire, out EngineResult? early)
    {
        early = null;
        ArgumentNullException.ThrowIfNull(env);
        byte[] bytes = wire.ToArray();
        WireTransaction? t = WireTransaction.Parse(bytes, env.Verify, out int code, out string reason);
        if (t == null)
        {
            early = new EngineResult { VmError = code, Rejection = reason, Chain = env.Chain };
            return null;
        }

        // D-CHAIN-ID: a transaction for another chain is refused like a malformed one.
        if (t.ChainId != env.Chain.ChainId)
        {
            early = new EngineResult { VmError = TxnError.InvalidFormat, Rejection = $"chain_id {t.ChainId} is not this chain's ({env.Chain.ChainId})", Chain = env.Chain };
            return null;
        }

        var updates = new List<KeyValuePair<PublicKey, EngineAccount?>>();
        PreExecution pre = PreExecute(env, t, out Meta payer, out byte[] payerData, out code, out reason);
        if (pre != PreExecution.Proceed)
        {
            if (pre == PreExecution.RefusedAfterNonce)
            {
                Settle(env.State, t.FeePayer, payer, payerData, dataUnchanged: null, updates);
            }

            early = new EngineResult { VmError = code, Rejection = reason, ReadWriteAccounts = t.ReadWrite, ReadOnlyAccounts = t.ReadOnly, Updates = updates, Chain = env.Chain };
            return null;
        }

        var afterFee = new List<KeyValuePair<PublicKey, EngineAccount?>>();
        Settle(env.State, t.FeePayer, payer, payerData, dataUnchanged: null, afterFee);

        if (!env.State.TryGetValue(t.Program, out EngineAccount? programAccount)
            || !IsLive(programAccount)
            || (programAccount.Flags & AccountFlag.Program) == 0
            || !ThruVm.ValidExecutable(programAccount.Data))
        {
            early = new EngineResult
            {
                VmError = TxnError.InvalidProgramAccount,
                ExecutionCode = VmErrorCode.SigText,
                ReadWriteAccounts = t.ReadWrite,
                ReadOnlyAccounts = t.ReadOnly,
                Updates = afterFee,
                Chain = env.Chain,
            };
            return null;
        }

        var accounts = new AccountSlot[t.AccountCount];
        for (int i = 0; i < accounts.Length; i++)
        {
            PublicKey key = t.Key(i);
            env.State.TryGetValue(key, out EngineAccount? committed);
            var slot = new AccountSlot { Key = key, Committed = committed };
            if (i == 0)
            {
                slot.Exists = true;
                slot.Meta = payer;
                slot.InitialData = payerData;
            }
            else if (committed != null)
            {
                slot.Exists = true;
                slot.Meta = Meta.Of(committed);
                slot.InitialData = committed.Data;
            }

            accounts[i] = slot;
        }

        return new Prepared(env, t, accounts, afterFee, new ThruVm(env, t, accounts, programAccount.Data));
    }

    /// <summary>Everything after execution (the machine has ended): commit or roll back, and the result.</summary>
    internal static EngineResult Finish(Prepared prepared)
    {
        (EngineEnvironment env, WireTransaction t, AccountSlot[] accounts, List<KeyValuePair<PublicKey, EngineAccount?>> afterFee, ThruVm vm) = prepared;
        var updates = new List<KeyValuePair<PublicKey, EngineAccount?>>();
        (int vmError, int faultCode, ulong userCode, int? errorProgram) = vm.Ending switch
        {
            Ending.Exited => (TxnError.Success, VmFaultCode.None, vm.ExitCode, (int?)null),
            Ending.Reverted => (TxnError.VmRevert, VmFaultCode.Revert, vm.ExitCode, vm.ErrorProgramIdx),
            Ending.Faulted or Ending.UnknownSyscall => (TxnError.VmFailed, VmFaultCode.None, 0UL, vm.ErrorProgramIdx),
            Ending.ComputeExhausted => (TxnError.CuExhausted, VmFaultCode.SigCu, 0UL, vm.ErrorProgramIdx),
            _ => (TxnError.SuExhausted, VmFaultCode.SigSu, 0UL, vm.ErrorProgramIdx),
        };

        long executionCode = vm.Ending switch
        {
            Ending.Exited or Ending.Reverted => VmErrorCode.Success,
            Ending.Faulted when vm.Fault!.Kind == EngineFaultKind.MemoryFault => VmErrorCode.SigSegv,
            Ending.Faulted or Ending.UnknownSyscall => VmErrorCode.SigIll,
            Ending.ComputeExhausted => VmErrorCode.SigCu,
            _ => VmErrorCode.SigSu,
        };

        // Commit on success; otherwise every account change is rolled back (the fee and the nonce stay).
        if (vm.Ending == Ending.Exited)
        {
            foreach (AccountSlot a in accounts)
            {
                if (a.Exists)
                {
                    Settle(env.State, a.Key, a.Meta, null, a.Data, updates);
                }
                else if (env.State.ContainsKey(a.Key))
                {
                    updates.Add(new(a.Key, null)); // (not reachable: an existing account never loses its metadata)
                }
            }
        }
        else
        {
            updates = afterFee;
        }

        // D-REVERT-EVENTS: events describe changes a failed transaction does not make, so only a successful one
        // reports them; logs are kept for debugging.
        IReadOnlyList<EngineEvent> events = vm.Ending == Ending.Exited ? vm.Events : [];
        ulong eventsSize = 0;
        foreach (EngineEvent e in events)
        {
            eventsSize += (ulong)e.Payload.Length;
        }

        return new EngineResult
        {
            VmError = vmError,
            UserErrorCode = userCode,
            ExecutionCode = executionCode,
            FaultCode = faultCode,
            ConsumedComputeUnits = vm.ComputeUsed,
            Instructions = vm.Instructions,
            ConsumedStateUnits = vm.StateUsed,
            ConsumedMemoryUnits = (ulong)vm.Space.Pool.Peak,
            PagesUsed = (ulong)vm.Space.Pool.InUse,
            Events = events,
            EventsSize = eventsSize,
            Logs = vm.Logs,
            ErrorProgramAccIdx = errorProgram,
            ReadWriteAccounts = t.ReadWrite,
            ReadOnlyAccounts = t.ReadOnly,
            Fault = vm.Ending is Ending.Faulted or Ending.UnknownSyscall ? vm.Fault : null,
            Registers = vm.Registers(),
            Pc = vm.Pc,
            CallDepth = vm.Space.Depth,
            MaxCallDepth = vm.Space.MaxCallDepth,
            Updates = updates,
            Chain = vm.Ending == Ending.Exited ? ChainAfter(env.Chain, vm, accounts) : env.Chain,
            PeakHostPages = vm.Space.Arena.Peak,
        };
    }

    /// <summary>
    /// The chain after a successful execution (D-COMPRESS): the state counter grows by the bytes activated; the account
    /// compressed now records the current slot; an account no longer compressed drops its record.
    /// </summary>
    private static EngineChain ChainAfter(EngineChain before, ThruVm vm, AccountSlot[] accounts)
    {
        var compressedAt = new Dictionary<PublicKey, ulong>(before.CompressedAt);
        foreach (AccountSlot a in accounts)
        {
            if (compressedAt.ContainsKey(a.Key) && !(a.Exists && a.Meta.Has(AccountFlag.Compressed)))
            {
                compressedAt.Remove(a.Key);
            }
        }

        if (vm.CompressedIndex >= 0)
        {
            compressedAt[accounts[vm.CompressedIndex].Key] = vm.CurrentSlot;
        }

        return new EngineChain { ChainId = before.ChainId, StateCounter = before.StateCounter + vm.ActivatedBytes, CompressedAt = compressedAt };
    }

    private enum PreExecution
    {
        Proceed,
        /// <summary>Refused; the state is unchanged.</summary>
        Refused,
        /// <summary>Refused after the nonce advanced (insufficient balance for the fee).</summary>
        RefusedAfterNonce,
    }

    /// <summary>
    /// D-PREEXEC-ORDER: liveness; the fee payer (from the state, or created/restored from the attached proof); its
    /// owner; the nonce; the nonce advances; the fee. On Proceed, <paramref name="payer"/> is the fee payer after the
    /// fee; on RefusedAfterNonce, after the nonce advance.
    /// </summary>
    private static PreExecution PreExecute(EngineEnvironment env, WireTransaction t, out Meta payer, out byte[] payerData, out int code, out string reason)
    {
        payer = default;
        payerData = [];
        ulong slot = env.CurrentSlot;
        // D-PREEXEC-ORDER: start_slot + expiry_after saturates.
        ulong expiry = t.ExpiryAfter > ulong.MaxValue - t.StartSlot ? ulong.MaxValue : t.StartSlot + t.ExpiryAfter;
        if (slot < t.StartSlot)
        {
            return Refuse(TxnError.NotLiveYet, $"current slot {slot} is before start_slot {t.StartSlot}", out code, out reason);
        }

        if (slot >= expiry)
        {
            return Refuse(TxnError.Expired, $"current slot {slot} is at or after the expiry slot {expiry}", out code, out reason);
        }

        if (env.State.TryGetValue(t.FeePayer, out EngineAccount? stored) && IsLive(stored))
        {
            payer = Meta.Of(stored);
            payerData = stored.Data;
        }
        else if (!FeePayerFromProof(env, t, slot, out payer, out code, out reason))
        {
            return PreExecution.Refused;
        }

        if (!payer.Owner.IsZero)
        {
            return Refuse(TxnError.InvalidFeePayerAccountOwner, "the fee payer is not owned by the EOA program", out code, out reason);
        }

        if (t.Nonce < payer.Nonce)
        {
            return Refuse(TxnError.NonceTooLow, $"nonce {t.Nonce} is below the fee payer's {payer.Nonce}", out code, out reason);
        }

        if (t.Nonce > payer.Nonce)
        {
            return Refuse(TxnError.NonceTooHigh, $"nonce {t.Nonce} is above the fee payer's {payer.Nonce}", out code, out reason);
        }

        payer.Nonce++;
        if (payer.Balance < t.Fee)
        {
            code = TxnError.InsufficientFeePayerBalance;
            reason = $"balance {payer.Balance} cannot pay the fee {t.Fee}";
            return PreExecution.RefusedAfterNonce;
        }

        payer.Balance -= t.Fee;
        code = TxnError.Success;
        reason = "";
        return PreExecution.Proceed;
    }

    /// <summary>D-LIVE: a stored account that is deleted or compressed (archived) counts as absent before execution.</summary>
    private static bool IsLive(EngineAccount a) => (a.Flags & (AccountFlag.Deleted | AccountFlag.Compressed)) == 0;

    private static PreExecution Refuse(int c, string r, out int code, out string reason)
    {
        code = c;
        reason = r;
        return PreExecution.Refused;
    }

    /// <summary>
    /// D-PREEXEC-ORDER: a fee payer missing from the state (or deleted or compressed there, D-LIVE) comes from the attached proof: CREATION makes an empty EOA,
    /// EXISTING restores the attached 64-byte record (data size 0, owned by the EOA program).
    /// </summary>
    private static bool FeePayerFromProof(EngineEnvironment env, WireTransaction t, ulong slot, out Meta payer, out int code, out string reason)
    {
        payer = default;
        code = TxnError.Success;
        reason = "";
        if (t.Proof == null)
        {
            code = TxnError.FeePayerAccountDoesNotExist;
            reason = "the fee payer does not exist and no state proof is attached";
            return false;
        }

        StateProof? p = StateProof.Parse(t.Proof);
        if (p == null)
        {
            code = TxnError.InvalidFeePayerStateProof;
            reason = "the fee-payer state proof is malformed";
            return false;
        }

        ulong ago = slot - p.Slot;
        if (p.Slot > slot || ago >= (ulong)env.ProofBlocks)
        {
            code = TxnError.InvalidFeePayerStateProofSlot;
            reason = $"the fee-payer proof's slot {p.Slot} is not among the visible blocks";
            return false;
        }

        byte[] root = env.Blocks[(int)ago].StateRoot;
        if (p.Type == StateProof.Kind.Creation)
        {
            if (!p.Verify(t.FeePayer, StateProof.Claim.Absent, default, root))
            {
                code = TxnError.InvalidFeePayerStateProof;
                reason = "the fee payer's CREATION proof does not verify";
                return false;
            }

            payer = Meta.Fresh(PublicKey.Zero, 0);
            return true;
        }

        if (p.Type == StateProof.Kind.Existing && t.FeePayerRecord != null)
        {
            // D-FEE-PAYER-RECORD: a runtime record starts with the magic 0xC7A3.
            ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(t.FeePayerRecord);
            if (magic != Meta.Magic)
            {
                code = TxnError.InvalidFeePayerStateProof;
                reason = $"the fee-payer record's magic is 0x{magic:x4}, not 0xc7a3";
                return false;
            }

            Meta m = Meta.ReadView(t.FeePayerRecord.AsSpan(2));
            if (m.DataSize != 0)
            {
                code = TxnError.InvalidFeePayerStateProofAccountMetaDataSz;
                reason = "the fee-payer record has data";
                return false;
            }

            if (!m.Owner.IsZero)
            {
                code = TxnError.InvalidFeePayerStateProofAccountOwner;
                reason = "the fee-payer record is not owned by the EOA program";
                return false;
            }

            if (!p.Verify(t.FeePayer, StateProof.Claim.Holds, StateProof.AccountValueHash(m, []), root))
            {
                code = TxnError.InvalidFeePayerStateProof;
                reason = "the fee payer's EXISTING proof does not verify";
                return false;
            }

            payer = m;
            payer.Flags = (byte)(payer.Flags & ~AccountFlag.Compressed);
            return true;
        }

        code = TxnError.InvalidFeePayerStateProofType;
        reason = "the fee-payer proof has the wrong type";
        return false;
    }

    /// <summary>
    /// D-SEQ: an account whose metadata (other than seq) or data changed gets seq = its old seq + 1 (0 when new);
    /// accounts that end deleted leave the state, ephemeral ones stay (D-EPHEMERAL); the NEW flag does not outlive
    /// the transaction.
    /// The data is <paramref name="data"/>, or the current contents of <paramref name="dataUnchanged"/>.
    /// </summary>
    private static void Settle(
        IReadOnlyDictionary<PublicKey, EngineAccount> before,
        PublicKey key,
        Meta meta,
        byte[]? data,
        AccountData? dataUnchanged,
        List<KeyValuePair<PublicKey, EngineAccount?>> updates)
    {
        bool existed = before.TryGetValue(key, out EngineAccount? old);
        if (meta.Has(AccountFlag.Deleted))
        {
            if (existed)
            {
                updates.Add(new(key, null));
            }

            return;
        }

        meta.Flags = (byte)(meta.Flags & ~AccountFlag.New);
        int size = (int)meta.DataSize;
        if (existed)
        {
            Meta was = Meta.Of(old!);
            bool sameData = data != null ? data.AsSpan().SequenceEqual(old!.Data) : dataUnchanged!.SameAs(old!.Data, size);
            if (was.SameExceptSeq(meta) && sameData)
            {
                return;
            }

            meta.Seq = was.Seq + 1;
        }
        else
        {
            meta.Seq = 0;
        }

        updates.Add(new(key, meta.ToAccount(data ?? dataUnchanged!.ToArray(size))));
    }
}
