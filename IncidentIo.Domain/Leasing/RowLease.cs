using System.Linq.Expressions;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace IncidentIo.Domain.Leasing;

public static class RowLease
{
    /// <summary>The longest owner a lease writes: the owner column of a leased row holds at least this.</summary>
    public const int OwnerMaxLength = 100;
}

/// <summary>
/// A lease on database rows of one kind: which columns hold it (owner, until) and for how long it
/// is taken. A worker takes a row with one conditional UPDATE (free or expired → this owner), so
/// of any number of workers racing for it exactly one gets it; the returned <see cref="LeaseHold{TRow}"/>
/// renews it beside the work and cancels the work when it is lost. Works the same on SQLite and PostgreSQL.
/// </summary>
/// <param name="owner">The owner column; null for rows whose holder is told apart another way (see <see cref="Hold"/>).</param>
public sealed class RowLease<TRow>(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    TimeProvider clock,
    TimeSpan duration,
    Expression<Func<TRow, DateTimeOffset?>> until,
    Expression<Func<TRow, string?>>? owner) where TRow : class
{
    public TimeSpan Duration { get; } = duration > TimeSpan.Zero ? duration : throw new ArgumentOutOfRangeException(nameof(duration), duration, "A lease must last longer than zero.");

    internal TimeProvider Clock => clock;

    /// <summary>Rows whose lease nobody holds: never taken, given back, or run out (the holder stopped renewing).</summary>
    public Expression<Func<TRow, bool>> FreeAt(DateTimeOffset now)
    {
        var body = Until(until.Parameters[0]);
        return Expression.Lambda<Func<TRow, bool>>(
            Expression.OrElse(Expression.Equal(body, Expression.Constant(null, typeof(DateTimeOffset?))), Expression.LessThan(body, Parameter(now))),
            until.Parameters[0]);
    }

    /// <summary>Rows held by someone whose lease has run out (it stopped renewing: its process stopped or hung).</summary>
    public Expression<Func<TRow, bool>> ExpiredAt(DateTimeOffset now) =>
        Expression.Lambda<Func<TRow, bool>>(Expression.LessThan(Until(until.Parameters[0]), Parameter(now)), until.Parameters[0]);

    /// <summary>
    /// Takes the row that <paramref name="row"/> selects if its lease is free or expired; <paramref name="alsoSet"/>
    /// is written in the same UPDATE (a state change, an attempt counted). Null when another holds it
    /// or the row does not match (any more). The hold's token also fires with <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<LeaseHold<TRow>?> TakeAsync(
        Expression<Func<TRow, bool>> row, CancellationToken cancellationToken, Action<UpdateSettersBuilder<TRow>>? alsoSet = null)
    {
        if (owner is null)
        {
            throw new InvalidOperationException($"Rows of {typeof(TRow).Name} have no owner column: hold them with {nameof(Hold)} once this process has them.");
        }

        var me = NewOwner();
        var now = clock.GetUtcNow();
        DateTimeOffset? heldUntil = now + Duration;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var taken = await db.Set<TRow>().Where(row).Where(FreeAt(now))
            .ExecuteUpdateAsync(s =>
            {
                s.SetProperty(owner, me).SetProperty(until, heldUntil);
                alsoSet?.Invoke(s);
            }, cancellationToken);
        if (taken > 1)
        {
            // Rolled back with the transaction: a condition that is not one row's is a mistake, not a take.
            throw new InvalidOperationException($"A lease is taken on one row; the condition given matched {taken} rows of {typeof(TRow).Name}.");
        }

        await transaction.CommitAsync(cancellationToken);
        return taken == 1 ? new LeaseHold<TRow>(this, rows => rows.Where(OwnedBy(me)), me, heldUntil.Value, cancellationToken) : null;
    }

    /// <summary>
    /// Holds a row this process already has (it inserted it, or took it by its own state change):
    /// renews it while <paramref name="mine"/> still selects it, and cancels the work when it stops doing so.
    /// </summary>
    public LeaseHold<TRow> Hold(Expression<Func<TRow, bool>> mine, DateTimeOffset heldUntil, CancellationToken cancellationToken) =>
        new(this, rows => rows.Where(mine), null, heldUntil, cancellationToken);

    /// <summary>Moves the lease on to now + <see cref="Duration"/> while it is still the holder's and not run out.</summary>
    /// <returns>The new end of the lease, or null when the row is no longer the holder's.</returns>
    internal async Task<DateTimeOffset?> RenewAsync(Func<IQueryable<TRow>, IQueryable<TRow>> mine, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        DateTimeOffset? heldUntil = now + Duration;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // A lease that ran out is not renewed: another worker may have taken it at that moment.
        var renewed = await mine(db.Set<TRow>()).Where(Expression.Lambda<Func<TRow, bool>>(
                Expression.GreaterThanOrEqual(Until(until.Parameters[0]), Parameter(now)), until.Parameters[0]))
            .ExecuteUpdateAsync(s => s.SetProperty(until, heldUntil), cancellationToken);
        return renewed > 0 ? heldUntil : null;
    }

    /// <summary>Gives the lease back (and writes <paramref name="alsoSet"/> with it) while it is still the holder's.</summary>
    internal async Task<bool> ReleaseAsync(Func<IQueryable<TRow>, IQueryable<TRow>> mine, Action<UpdateSettersBuilder<TRow>>? alsoSet)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        return await mine(db.Set<TRow>()).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(until, (DateTimeOffset?)null);
            if (owner is not null)
            {
                s.SetProperty(owner, (string?)null);
            }

            alsoSet?.Invoke(s);
        }, CancellationToken.None) > 0;
    }

    /// <summary>
    /// Who takes a lease: this process, and one take in it (two runs in one process are two holders).
    /// Unique per take, so the owner alone finds the row again, whatever else the take changed in it.
    /// </summary>
    private static string NewOwner() =>
        ClippedText.Clip($"{Environment.MachineName}:{Environment.ProcessId}/{Guid.NewGuid():N}", RowLease.OwnerMaxLength);

    private Expression<Func<TRow, bool>> OwnedBy(string me) =>
        Expression.Lambda<Func<TRow, bool>>(Expression.Equal(Replace(owner!, until.Parameters[0]), Parameter<string?>(me)), until.Parameters[0]);

    private Expression Until(ParameterExpression parameter) => Replace(until, parameter);

    private static Expression Replace<TValue>(Expression<Func<TRow, TValue>> column, ParameterExpression parameter) =>
        new ParameterSwap(column.Parameters[0], parameter).Visit(column.Body);

    /// <summary>A value the query sends as a parameter (read from a closure), not as a literal in its text.</summary>
    private static Expression Parameter(DateTimeOffset value) => Parameter<DateTimeOffset?>(value);

    private static Expression Parameter<TValue>(TValue value)
    {
        Expression<Func<TValue>> read = () => value;
        return read.Body;
    }

    private sealed class ParameterSwap(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
