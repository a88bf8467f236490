// Package filing holds filing (备案, manual 四, DOMAIN.md §6): the state
// machine of an instrument's filing, submissions and reviews as resumable
// batches, instrument codes.
package filing

import (
	"fmt"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/instrument"
)

// Action is a filing action.
type Action string

const (
	Submit   Action = "submit"   // 提交备案
	Withdraw Action = "withdraw" // 撤销备案 (applicant, while 已提交)
	Approve  Action = "approve"  // 审核通过
	Return   Action = "return"   // 退回
	Dispatch Action = "dispatch" // 分派至区县级机构
	Transfer Action = "transfer" // 转送省院
	Confirm  Action = "confirm"  // 区县/省院确认
	Decline  Action = "decline"  // 区县/省院无能力，退回市级
	Revoke   Action = "revoke"   // 撤销已审核的备案
)

// Name is the Chinese name of an action.
func (a Action) Name() string {
	return map[Action]string{
		Submit: "提交备案", Withdraw: "撤销备案", Approve: "审核通过", Return: "退回", Dispatch: "分派",
		Transfer: "转送省院", Confirm: "确认备案", Decline: "退回市级机构", Revoke: "撤销备案",
	}[a]
}

// Actor is who may take an action on a given instrument.
type Actor string

const (
	ActorApplicant Actor = "applicant" // the owning applicant (or its sub-users)
	ActorFiled     Actor = "filed"     // staff of the institution the filing is with
	ActorTarget    Actor = "target"    // staff of the district/provincial institution it was sent to
	ActorRegulator Actor = "regulator" // a regulator of the instrument's region
)

// Transition is one row of the state machine.
type Transition struct {
	From   []instrument.FilingStatus
	Action Action
	Actors []Actor
	To     instrument.FilingStatus
	Event  string
}

// Table is the filing state machine. Each row is tested on its own.
var Table = []Transition{
	{[]instrument.FilingStatus{instrument.Unfiled, instrument.Returned}, Submit, []Actor{ActorApplicant}, instrument.Submitted, "filing.submitted"},
	{[]instrument.FilingStatus{instrument.Submitted}, Withdraw, []Actor{ActorApplicant}, instrument.Unfiled, "filing.withdrawn"},
	{[]instrument.FilingStatus{instrument.Submitted, instrument.Pending}, Approve, []Actor{ActorFiled}, instrument.Approved, "filing.approved"},
	{[]instrument.FilingStatus{instrument.Submitted, instrument.Pending}, Return, []Actor{ActorFiled}, instrument.Returned, "filing.returned"},
	{[]instrument.FilingStatus{instrument.Submitted, instrument.Pending}, Dispatch, []Actor{ActorFiled}, instrument.Confirming, "filing.dispatched"},
	{[]instrument.FilingStatus{instrument.Submitted, instrument.Pending}, Transfer, []Actor{ActorFiled}, instrument.Confirming, "filing.transferred"},
	{[]instrument.FilingStatus{instrument.Confirming}, Confirm, []Actor{ActorTarget}, instrument.Approved, "filing.approved"},
	{[]instrument.FilingStatus{instrument.Confirming}, Decline, []Actor{ActorTarget}, instrument.Pending, "filing.declined"},
	{[]instrument.FilingStatus{instrument.Approved}, Revoke, []Actor{ActorFiled, ActorRegulator}, instrument.Revoked, "filing.revoked"},
}

// Lookup finds the row for action from status by actor; the error names the
// current state in Chinese.
func Lookup(from instrument.FilingStatus, a Action, actor Actor) (Transition, error) {
	known := false
	for _, t := range Table {
		if t.Action != a {
			continue
		}
		known = true
		okFrom := false
		for _, f := range t.From {
			okFrom = okFrom || f == from
		}
		if !okFrom {
			continue
		}
		for _, ac := range t.Actors {
			if ac == actor {
				return t, nil
			}
		}
		return Transition{}, core.Errorf(core.Forbidden, "您不能对该仪器执行“%s”", a.Name())
	}
	if !known {
		return Transition{}, core.Errorf(core.Invalid, "未知的备案操作：%s", a)
	}
	return Transition{}, core.Errorf(core.Conflict, "仪器当前备案状态为“%s”，不能%s", from.Name(), a.Name())
}

// ReturnKinds are the reasons an institution returns a filing (manual 四.2).
var ReturnKinds = []string{"资料不完整", "不属于强检目录", "其他"}

// ValidReturnKind reports whether k is one of ReturnKinds.
func ValidReturnKind(k string) bool {
	for _, x := range ReturnKinds {
		if x == k {
			return true
		}
	}
	return false
}

// CodeFormat documents the instrument code (器具编码): city (4 digits of the
// usage region), item (3 digits), the year of approval (2 digits) and a
// sequence per city, item and year (6 digits), e.g. 4401-061-26-000123.
// Unique in the province by construction and by a unique index.
func Code(region, item string, year, seq int) string {
	return fmt.Sprintf("%s-%s-%02d-%06d", region[:4], item, year%100, seq)
}
