package incident

// The event types incidentbot publishes to other tools (signed webhooks,
// PagerDuty). They are contract: receivers subscribe to them by name.
const (
	TypeDeclared          = "incident.declared"
	TypeUpdated           = "incident.updated"
	TypeSeverityChanged   = "incident.severity_changed"
	TypeRoleAssigned      = "incident.role_assigned"
	TypeResolved          = "incident.resolved"
	TypePostmortemDrafted = "incident.postmortem_drafted"
	TypeActionItemCreated = "action_item.created"
)

// PublishedTypes lists every published event type, in lifecycle order.
func PublishedTypes() []string {
	return []string{TypeDeclared, TypeUpdated, TypeSeverityChanged, TypeRoleAssigned, TypeResolved, TypePostmortemDrafted, TypeActionItemCreated}
}

// PublishedType is the event type a timeline event of kind k is published
// as, "" for kinds that stay inside the incident (notes, pinned messages,
// reminders…). A status change is published through the status update that
// always accompanies it (incident.updated), so it has no type of its own.
func PublishedType(k EventKind) string {
	switch k {
	case EventDeclared:
		return TypeDeclared
	case EventUpdate:
		return TypeUpdated
	case EventSeverityChanged:
		return TypeSeverityChanged
	case EventRoleAssigned, EventRoleHandoff:
		return TypeRoleAssigned
	case EventResolved:
		return TypeResolved
	case EventPostmortem:
		return TypePostmortemDrafted
	case EventAction:
		return TypeActionItemCreated
	}
	return ""
}
