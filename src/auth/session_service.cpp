// Token pairs, rotation with reuse detection, logout.
#include "auth/session_service.h"

#include "auth/lockout_policy.h"

namespace faceid::auth {
namespace {
Error invalid_token() { return make_error("invalid_token", "Invalid or revoked token"); }
}  // namespace

Status SessionService::end_session(const std::string& family_id, TimePoint now) {
  // Memory first: even if the store write fails, this replica refuses the session at once.
  ctx_.revocations.revoke(family_id, now + ctx_.tokens.access_ttl());
  return ctx_.store.revoke_token_family(family_id, now);
}

Status SessionService::load_revocations() {
  TimePoint now = ctx_.clock.now();
  auto ended = ctx_.store.revoked_sessions_since(now - ctx_.tokens.access_ttl());
  if (!ended) return ended.error();
  for (const auto& s : *ended) {
    ctx_.revocations.revoke(s.family_id, s.revoked_at + ctx_.tokens.access_ttl());
  }
  return {};
}

bool SessionService::is_active(const TokenClaims& access) const {
  return !ctx_.revocations.is_revoked(access.family_id);
}

Result<SessionTokens> SessionService::start(const store::User& user,
                                            const std::vector<std::string>& amr) {
  TimePoint now = ctx_.clock.now();
  std::string family = TokenService::new_token_id();
  auto access =
      ctx_.tokens.issue_access(user.id, user.is_admin ? Role::kAdmin : Role::kUser, family, amr);
  auto refresh = ctx_.tokens.issue_refresh(user.id, family, amr);
  store::RefreshTokenRecord rec{
      refresh.jti,        user.id,      family,       TokenService::token_hash(refresh.token),
      refresh.expires_at, std::nullopt, std::nullopt, now};
  if (Status s = ctx_.store.insert_refresh_token(rec); !s) return s.error();
  return SessionTokens{access.token, refresh.token, ctx_.tokens.access_ttl().count()};
}

Result<SessionTokens> SessionService::refresh(std::string_view token, const ClientInfo& client) {
  auto claims = ctx_.tokens.verify(token, TokenType::kRefresh);
  if (!claims) return claims.error();
  auto rec = ctx_.store.find_refresh_token(claims->jti);
  if (!rec) return rec.error();
  if (!rec->has_value() ||
      !TokenService::constant_time_equal((*rec)->token_hash, TokenService::token_hash(token))) {
    return invalid_token();
  }
  TimePoint now = ctx_.clock.now();
  auto revoke_family = [&](const char* why) {
    end_session((*rec)->family_id, now);
    ctx_.logger->warn("refresh token family revoked", {{"audit", true},
                                                       {"event", std::string(why)},
                                                       {"user_id", (*rec)->user_id},
                                                       {"client_ip", client.ip},
                                                       {"correlation_id", client.correlation_id}});
  };
  if ((*rec)->revoked_at) {
    revoke_family("refresh_token_reuse");
    return invalid_token();
  }
  auto user = ctx_.store.find_user_by_id((*rec)->user_id);
  if (!user) return user.error();
  if (!user->has_value() || !(*user)->is_active || is_locked((*user)->locked_until, now)) {
    return invalid_token();
  }
  // A refresh is no new proof of identity: the sign-in's time carries on.
  auto next = ctx_.tokens.issue_refresh((*user)->id, (*rec)->family_id, claims->amr,
                                        claims->auth_time.value_or(TimePoint{}));
  store::RefreshTokenRecord next_rec{
      next.jti,        (*user)->id,  (*rec)->family_id, TokenService::token_hash(next.token),
      next.expires_at, std::nullopt, std::nullopt,      now};
  auto rotated = ctx_.store.rotate_refresh_token((*rec)->jti, next_rec, now);
  if (!rotated) return rotated.error();
  if (!*rotated) {  // lost a race with another use of the same token: that is a reuse too
    revoke_family("refresh_token_reuse");
    return invalid_token();
  }
  auto access = ctx_.tokens.issue_access(
      (*user)->id, (*user)->is_admin ? Role::kAdmin : Role::kUser, (*rec)->family_id, claims->amr,
      claims->auth_time.value_or(TimePoint{}));
  return SessionTokens{access.token, next.token, ctx_.tokens.access_ttl().count()};
}

Status SessionService::logout(std::string_view token, const ClientInfo& client) {
  auto claims = ctx_.tokens.verify(token, TokenType::kRefresh);
  if (!claims && claims.error().code != "token_expired") return claims.error();
  if (!claims) return {};  // expired: nothing left to revoke
  auto rec = ctx_.store.find_refresh_token(claims->jti);
  if (!rec) return rec.error();
  if (!rec->has_value() ||
      !TokenService::constant_time_equal((*rec)->token_hash, TokenService::token_hash(token))) {
    return invalid_token();
  }
  if (Status s = end_session((*rec)->family_id, ctx_.clock.now()); !s) return s;
  ctx_.logger->info("logout", {{"audit", true},
                               {"event", "logout"},
                               {"user_id", (*rec)->user_id},
                               {"client_ip", client.ip},
                               {"correlation_id", client.correlation_id}});
  return {};
}

}  // namespace faceid::auth
