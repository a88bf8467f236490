package booking

import "github.com/gdqjp/qj/core"

// Action is a booking action.
type Action string

const (
	Cancel   Action = "cancel"   // 取消预约 (applicant, while 预约中)
	Confirm  Action = "confirm"  // 确认 (institution)
	Reject   Action = "reject"   // 拒绝 (institution, reason)
	Return   Action = "return"   // 退回 (institution, after confirming, reason)
	Complete Action = "complete" // 完检 (when every instrument is settled)
)

// Name is the Chinese name.
func (a Action) Name() string {
	return map[Action]string{Cancel: "取消预约", Confirm: "确认预约", Reject: "拒绝预约", Return: "退回预约", Complete: "完检"}[a]
}

// Actor is who takes a booking action.
type Actor string

const (
	ActorApplicant   Actor = "applicant"
	ActorInstitution Actor = "institution"
	ActorSystem      Actor = "system"
)

// Transition is one row of the booking state machine.
type Transition struct {
	From   Status
	Action Action
	Actor  Actor
	To     Status
	Event  string
}

// Table is the booking state machine; each row is tested on its own.
var Table = []Transition{
	{Pending, Cancel, ActorApplicant, Cancelled, "booking.cancelled"},
	{Pending, Confirm, ActorInstitution, Confirmed, "booking.confirmed"},
	{Pending, Reject, ActorInstitution, Rejected, "booking.rejected"},
	{Confirmed, Return, ActorInstitution, Returned, "booking.returned"},
	{Confirmed, Complete, ActorSystem, Completed, "booking.completed"},
}

// Lookup finds the row for action from status by actor; the error names the
// current state in Chinese.
func Lookup(from Status, a Action, actor Actor) (Transition, error) {
	known := false
	for _, t := range Table {
		if t.Action != a {
			continue
		}
		known = true
		if t.From != from {
			continue
		}
		if t.Actor != actor {
			return Transition{}, core.Errorf(core.Forbidden, "您不能%s", a.Name())
		}
		return t, nil
	}
	if !known {
		return Transition{}, core.Errorf(core.Invalid, "未知的预约操作：%s", a)
	}
	return Transition{}, core.Errorf(core.Conflict, "预约单当前状态为“%s”，不能%s", from.Name(), a.Name())
}
