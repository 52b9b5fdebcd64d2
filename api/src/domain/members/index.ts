// Workspace administration: invitations, roles, removals, the workspace's name. Every change is
// checked against the actor's role here (not only in the resolver) and audited in the same
// transaction; changes of someone's authority are published to open sockets.
export { MemberError, parseRole, parseEmail, ROLE_RANK, INVITATION_TTL_MS, hashInvitationToken, type Actor } from "./input.ts";
export { inviteMember, type CreatedInvitation } from "./invite-member.ts";
export { acceptInvitation } from "./accept-invitation.ts";
export { findInvitationByToken, type InvitationPreview } from "./find-invitation.ts";
export { revokeInvitation } from "./revoke-invitation.ts";
export { changeMemberRole } from "./change-member-role.ts";
export { removeMember } from "./remove-member.ts";
export { renameWorkspace, MAX_WORKSPACE_NAME_LENGTH } from "./rename-workspace.ts";
