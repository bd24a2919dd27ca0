<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>amount</name>
    <message>
        <source>下一步</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>请选择或输入充值金额</source>
        <translation>Choose or type the amount</translation>
    </message>
</context>
<context>
    <name>balance</name>
    <message>
        <source>余额与交易记录</source>
        <translation>Balance and history</translation>
    </message>
</context>
<context>
    <name>bookings</name>
    <message>
        <source>请选择要签到的预约</source>
        <translation>Choose the appointment to check in</translation>
    </message>
    <message>
        <source>请选择要取消的预约</source>
        <translation>Choose the appointment to cancel</translation>
    </message>
</context>
<context>
    <name>cash</name>
    <message>
        <source>请逐张放入纸币，最多 {limit}
已放入</source>
        <translation>Insert notes one at a time, up to {limit}
Paid in so far</translation>
    </message>
    <message>
        <source>放入完毕</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>现金充值</source>
        <translation>Top up in cash</translation>
    </message>
</context>
<context>
    <name>charges</name>
    <message>
        <source>支付所选 {total}</source>
        <translation>Pay selected {total}</translation>
    </message>
    <message>
        <source>请选择要缴纳的费用</source>
        <translation>Choose the fees to pay</translation>
    </message>
</context>
<context>
    <name>confirm</name>
    <message>
        <source>确认挂号并支付</source>
        <translation>Confirm and pay</translation>
    </message>
    <message>
        <source>确认预约并支付</source>
        <translation>Confirm and pay</translation>
    </message>
    <message>
        <source>确认签到</source>
        <translation>Confirm check-in</translation>
    </message>
    <message>
        <source>确认取消预约</source>
        <translation>Confirm cancellation</translation>
    </message>
    <message>
        <source>确认缴费</source>
        <translation>Confirm payment</translation>
    </message>
    <message>
        <source>确认充值</source>
        <translation>Confirm top-up</translation>
    </message>
    <message>
        <source>金额 {amount}</source>
        <translation>Amount {amount}</translation>
    </message>
    <message>
        <source>可退 {amount}</source>
        <translation>Refund {amount}</translation>
    </message>
</context>
<context>
    <name>days</name>
    <message>
        <source>请选择就诊日期</source>
        <translation>Choose a day</translation>
    </message>
</context>
<context>
    <name>departments</name>
    <message>
        <source>请选择科室</source>
        <translation>Choose a department</translation>
    </message>
</context>
<context>
    <name>done</name>
    <message>
        <source>请取走凭条</source>
        <translation>Please take your receipt</translation>
    </message>
    <message>
        <source>凭条（未打印）</source>
        <translation>Your receipt (not printed)</translation>
    </message>
    <message>
        <source>参考号 {ref}</source>
        <translation>Reference {ref}</translation>
    </message>
    <message>
        <source>结束</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>办理结果</source>
        <translation>Result</translation>
    </message>
</context>
<context>
    <name>flow_base</name>
    <message>
        <source>返回</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>首页</source>
        <translation>Home</translation>
    </message>
    <message>
        <source>English</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>正在加载，请稍候…</source>
        <translation>Loading, please wait…</translation>
    </message>
    <message>
        <source>暂无可选项目</source>
        <translation>Nothing to choose here</translation>
    </message>
</context>
<context>
    <name>greeting</name>
    <message>
        <source>当日挂号</source>
        <translation>Register today</translation>
    </message>
    <message>
        <source>预约挂号</source>
        <translation>Book ahead</translation>
    </message>
    <message>
        <source>签到取号</source>
        <translation>Check in</translation>
    </message>
    <message>
        <source>退号</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>门诊缴费</source>
        <translation>Pay fees</translation>
    </message>
    <message>
        <source>充值</source>
        <translation>Top up</translation>
    </message>
    <message>
        <source>余额查询</source>
        <translation>Balance</translation>
    </message>
    <message>
        <source>补打凭条</source>
        <translation>Reprint</translation>
    </message>
    <message>
        <source>最后已知</source>
        <translation>last known</translation>
    </message>
</context>
<context>
    <name>payment_qr</name>
    <message>
        <source>请用手机扫码支付 {amount}</source>
        <translation>Scan with your phone to pay {amount}</translation>
    </message>
    <message>
        <source>剩余 {m}:{s:02d}</source>
        <translation>{m}:{s:02d} left</translation>
    </message>
    <message>
        <source>取消支付</source>
        <translation>Cancel payment</translation>
    </message>
    <message>
        <source>扫码支付</source>
        <translation>Pay by QR code</translation>
    </message>
</context>
<context>
    <name>printing</name>
    <message>
        <source>正在打印凭条…</source>
        <translation>Printing your receipt…</translation>
    </message>
    <message>
        <source>打印中</source>
        <translation>Printing</translation>
    </message>
</context>
<context>
    <name>receipts</name>
    <message>
        <source>选择要补打的凭条</source>
        <translation>Choose a receipt to print again</translation>
    </message>
</context>
<context>
    <name>scan_code</name>
    <message>
        <source>请将手机付款码对准下方扫描口
金额 {amount}</source>
        <translation>Hold your phone&apos;s payment code under the scanner below
Amount {amount}</translation>
    </message>
    <message>
        <source>出示付款码</source>
        <translation>Show your payment code</translation>
    </message>
</context>
<context>
    <name>sessions</name>
    <message>
        <source>请选择医生和时段</source>
        <translation>Choose a doctor and session</translation>
    </message>
</context>
<context>
    <name>working</name>
    <message>
        <source>正在办理，请稍候…
请勿拔卡</source>
        <translation>Working on it, please wait…
Please keep your card in</translation>
    </message>
    <message>
        <source>请稍候</source>
        <translation>Please wait</translation>
    </message>
</context>
</TS>
