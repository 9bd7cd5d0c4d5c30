<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Banner</name>
    <message>
        <source>Dismiss</source>
        <translation>关闭提示</translation>
    </message>
</context>
<context>
    <name>LivePanel</name>
    <message>
        <source>Stop (Space)</source>
        <translation>停止（空格）</translation>
    </message>
    <message>
        <source>Start (Space)</source>
        <translation>开始（空格）</translation>
    </message>
    <message>
        <source>{name}: {fps:.1f} fps measured (nominal {nominal:g}), view {view:.1f} fps, {dropped} dropped frames</source>
        <translation>{name}：实测 {fps:.1f} 帧/秒（标称 {nominal:g}），画面 {view:.1f} 帧/秒，丢帧 {dropped}</translation>
    </message>
    <message>
        <source>No student selected</source>
        <translation>未选择学生</translation>
    </message>
    <message>
        <source>Movement:</source>
        <translation>项目：</translation>
    </message>
    <message>
        <source>Camera view</source>
        <translation>摄像机视角</translation>
    </message>
    <message>
        <source>Side view</source>
        <translation>侧面视角</translation>
    </message>
    <message>
        <source>Which side of the 3D skeleton to show</source>
        <translation>显示三维骨架的哪个视角</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>The roster was not imported: {error}</source>
        <translation>名单未导入：{error}</translation>
    </message>
    <message>
        <source>Choose another file…</source>
        <translation>选择其他文件…</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Open another database…</source>
        <translation>打开其他数据库…</translation>
    </message>
    <message>
        <source>No class yet: import a roster from Excel or CSV (File → Import roster).</source>
        <translation>还没有班级：请从 Excel 或 CSV 导入名单（文件 → 导入名单）。</translation>
    </message>
    <message>
        <source>Import roster…</source>
        <translation>导入名单…</translation>
    </message>
    <message>
        <source>{n} attempt(s) were interrupted last time (KineScore or the PC stopped). Their frames were journaled.</source>
        <translation>上次有 {n} 次测试被中断（KineScore 或电脑停止运行），其数据已记入日志。</translation>
    </message>
    <message>
        <source>Recover them</source>
        <translation>恢复这些测试</translation>
    </message>
    <message>
        <source>{n} interrupted attempt(s) recovered (unscored; review them to score).</source>
        <translation>已恢复 {n} 次中断的测试（未评分，可在回看中评分）。</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Choose a model…</source>
        <translation>选择模型…</translation>
    </message>
    <message>
        <source>Model: {v}</source>
        <translation>模型：{v}</translation>
    </message>
    <message>
        <source>No model: not scoring</source>
        <translation>无模型：不评分</translation>
    </message>
    <message>
        <source>Opening {device}…</source>
        <translation>正在打开 {device}…</translation>
    </message>
    <message>
        <source>No picture from the device</source>
        <translation>设备没有画面</translation>
    </message>
    <message>
        <source>Choose device…</source>
        <translation>选择设备…</translation>
    </message>
    <message>
        <source>Choose a student in the roster first (Up/Down arrows).</source>
        <translation>请先在名单中选择学生（上/下方向键）。</translation>
    </message>
    <message>
        <source>No device is open yet: wait for the picture, or choose a device.</source>
        <translation>设备尚未打开：请等待画面出现，或选择设备。</translation>
    </message>
    <message>
        <source>The attempt was not saved in the class records: {error}</source>
        <translation>本次测试未能保存到班级记录：{error}</translation>
    </message>
    <message>
        <source>Retry saving</source>
        <translation>重新保存</translation>
    </message>
    <message>
        <source>The attempt was saved but not scored: {error}</source>
        <translation>本次测试已保存，但未评分：{error}</translation>
    </message>
    <message>
        <source>The class records are not open: the attempt was kept in {path}.</source>
        <translation>班级记录未打开：本次测试已保存在 {path}。</translation>
    </message>
    <message>
        <source>Export grades</source>
        <translation>导出成绩</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx);;CSV, UTF-8 (*.csv)</source>
        <translation>Excel 工作簿 (*.xlsx);;CSV，UTF-8 (*.csv)</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Exported {rows} rows ({students} students) to {path} and checked the file.</source>
        <translation>已导出 {rows} 行（{students} 名学生）到 {path}，并已核对文件。</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>The grades were not exported: {error}. Choose another folder or file name.</source>
        <translation>成绩未导出：{error}。请选择其他文件夹或文件名。</translation>
    </message>
    <message>
        <source>Export again…</source>
        <translation>重新导出…</translation>
    </message>
    <message>
        <source>Import a class roster</source>
        <translation>导入班级名单</translation>
    </message>
    <message>
        <source>Rosters (*.xlsx *.csv)</source>
        <translation>名单 (*.xlsx *.csv)</translation>
    </message>
    <message>
        <source>Roster imported: {summary}</source>
        <translation>名单已导入：{summary}</translation>
    </message>
    <message>
        <source>The roster was not imported (nothing was changed): {summary}</source>
        <translation>名单未导入（未做任何更改）：{summary}</translation>
    </message>
    <message>
        <source>Open or create class records</source>
        <translation>打开或新建班级记录</translation>
    </message>
    <message>
        <source>KineScore database (*.sqlite3)</source>
        <translation>KineScore 数据库 (*.sqlite3)</translation>
    </message>
    <message>
        <source>KineScore {version}: automatic scoring of sports movements from 3D skeletons. Data stays on this computer: {db}</source>
        <translation>KineScore {version}：基于三维骨架的体育动作自动评分。数据只保存在本机：{db}</translation>
    </message>
    <message>
        <source> — demo (simulated students, throwaway records)</source>
        <translation> — 演示（模拟学生，临时记录）</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>回看</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Export grades…</source>
        <translation>导出成绩…</translation>
    </message>
    <message>
        <source>Open class records…</source>
        <translation>打开班级记录…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>&amp;Attempt</source>
        <translation>测试(&amp;A)</translation>
    </message>
    <message>
        <source>Start / stop</source>
        <translation>开始 / 停止</translation>
    </message>
    <message>
        <source>Next student</source>
        <translation>下一名学生</translation>
    </message>
    <message>
        <source>Previous student</source>
        <translation>上一名学生</translation>
    </message>
    <message>
        <source>Review the latest attempt</source>
        <translation>回看最近一次测试</translation>
    </message>
    <message>
        <source>&amp;Device</source>
        <translation>设备(&amp;D)</translation>
    </message>
    <message>
        <source>Reconnect</source>
        <translation>重新连接</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>Preferences…</source>
        <translation>偏好设置…</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>About KineScore</source>
        <translation>关于 KineScore</translation>
    </message>
</context>
<context>
    <name>RecordsService</name>
    <message>
        <source>The class records at {path} are read-only: scores cannot be saved there. Make the file writable or open another database (File menu); attempts are kept in the &apos;unsaved&apos; folder meanwhile.</source>
        <translation>{path} 处的班级记录为只读，无法保存成绩。请使该文件可写，或打开其他数据库（文件菜单）；在此期间测试将保存在“unsaved”文件夹中。</translation>
    </message>
    <message>
        <source>The class records at {path} are locked by another program. Close the other program, then click Retry.</source>
        <translation>{path} 处的班级记录被其他程序锁定。请关闭该程序，然后点击“重试”。</translation>
    </message>
    <message>
        <source>The class records at {path} cannot be used. Open another database (File menu) or restore a backup.</source>
        <translation>{path} 处的班级记录无法使用。请打开其他数据库（文件菜单）或恢复备份。</translation>
    </message>
    <message>
        <source>{lead}
Details: {details}</source>
        <translation>{lead}
详细信息：{details}</translation>
    </message>
</context>
<context>
    <name>ReplayPanel</name>
    <message>
        <source>This attempt has no recording (it was entered without a camera).</source>
        <translation>本次测试没有录制数据（未使用摄像设备录入）。</translation>
    </message>
    <message>
        <source>Loading the recording…</source>
        <translation>正在加载录制数据…</translation>
    </message>
    <message>
        <source>Stages unknown: this recording was not scored and no model is loaded.</source>
        <translation>阶段未知：该录制未评分，且未加载模型。</translation>
    </message>
    <message>
        <source>Stages and joints from the current model (the recording did not store them).</source>
        <translation>阶段和关节由当前模型给出（录制中未保存）。</translation>
    </message>
    <message>
        <source>Cannot show this recording: {error}</source>
        <translation>无法显示该录制：{error}</translation>
    </message>
    <message>
        <source>Choose an attempt to review.</source>
        <translation>请选择要回看的测试。</translation>
    </message>
    <message>
        <source>Model: {s:.1f} ({g})</source>
        <translation>模型：{s:.1f}（{g}）</translation>
    </message>
    <message>
        <source>Model: not scored</source>
        <translation>模型：未评分</translation>
    </message>
    <message>
        <source>Teacher: {s:.1f} ({g}) — {note}</source>
        <translation>教师：{s:.1f}（{g}）— {note}</translation>
    </message>
    <message>
        <source>Repetitions: {n}</source>
        <translation>个数：{n}</translation>
    </message>
    <message>
        <source>Joints that cost the most points (red): {names}</source>
        <translation>失分最多的关节（红色）：{names}</translation>
    </message>
    <message>
        <source>Write a note saying why you change the score.</source>
        <translation>请填写修改成绩的原因。</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Not saved: {error}</source>
        <translation>未保存：{error}</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Attempts of the selected student</source>
        <translation>所选学生的测试记录</translation>
    </message>
    <message>
        <source>Teacher&apos;s score</source>
        <translation>教师评分</translation>
    </message>
    <message>
        <source>Score:</source>
        <translation>成绩：</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>说明：</translation>
    </message>
    <message>
        <source>Why the score is changed (required)</source>
        <translation>修改成绩的原因（必填）</translation>
    </message>
    <message>
        <source>Save override</source>
        <translation>保存修改</translation>
    </message>
    <message>
        <source>Remove override</source>
        <translation>撤销修改</translation>
    </message>
    <message>
        <source>Playback speed</source>
        <translation>播放速度</translation>
    </message>
</context>
<context>
    <name>ResultsPanel</name>
    <message>
        <source>{name} ({number}): {movement}</source>
        <translation>{name}（{number}）：{movement}</translation>
    </message>
    <message>
        <source>Model {version}</source>
        <translation>模型 {version}</translation>
    </message>
    <message>
        <source>Live estimate from the last 3 seconds</source>
        <translation>根据最近 3 秒的实时估计</translation>
    </message>
    <message>
        <source>Not scored: no model is loaded. The attempt was saved unscored.</source>
        <translation>未评分：未加载模型。本次测试已保存（未评分）。</translation>
    </message>
    <message>
        <source>Not scored (see the message above).</source>
        <translation>未评分（见上方提示）。</translation>
    </message>
    <message>
        <source>No scoring model: live view and recording only.</source>
        <translation>无评分模型：仅实时画面和录制。</translation>
    </message>
    <message>
        <source>Repetitions: {n}</source>
        <translation>个数：{n}</translation>
    </message>
    <message>
        <source>national: {n}</source>
        <translation>国家标准：{n}</translation>
    </message>
    <message>
        <source>Stages</source>
        <translation>动作阶段</translation>
    </message>
    <message>
        <source>What to work on</source>
        <translation>改进建议</translation>
    </message>
</context>
<context>
    <name>RosterPanel</name>
    <message>
        <source>{n} students</source>
        <translation>{n} 名学生</translation>
    </message>
    <message>
        <source>Teacher&apos;s score; the model gave {s:.1f}</source>
        <translation>教师评分；模型评分为 {s:.1f}</translation>
    </message>
    <message>
        <source>Class:</source>
        <translation>班级：</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>学号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
</context>
<context>
    <name>Services</name>
    <message>
        <source>No scoring model is installed (nothing in {folder}). Live view and recording work, and attempts are saved unscored; choose a model file in Settings to score them.</source>
        <extracomment>The bundled model&apos;s preferred file names, best first; any other *.pt / *.onnx in resources/models/ is used when none of these exists.</extracomment>
        <translation>未安装评分模型（{folder} 中没有模型）。实时画面和录制仍可使用，测试将保存为未评分；请在设置中选择模型文件以进行评分。</translation>
    </message>
    <message>
        <source>The model file {path} does not exist. Attempts are saved unscored until you choose a model file in Settings.</source>
        <translation>模型文件 {path} 不存在。在设置中选择模型文件之前，测试将保存为未评分。</translation>
    </message>
    <message>
        <source>{path}: this KineScore build cannot run ONNX models; choose a .pt model in Settings.</source>
        <translation>{path}：此版本的 KineScore 无法运行 ONNX 模型；请在设置中选择 .pt 模型。</translation>
    </message>
    <message>
        <source>The model file {path} cannot be used ({error}). Attempts are saved unscored; choose another model file in Settings, or reinstall KineScore to restore the bundled model.</source>
        <translation>模型文件 {path} 无法使用（{error}）。测试将保存为未评分；请在设置中选择其他模型文件，或重新安装 KineScore 以恢复内置模型。</translation>
    </message>
    <message>
        <source>The software for this device is not installed; see the set-up guide, or choose another device.</source>
        <translation>此设备的驱动软件未安装；请参阅安装说明，或选择其他设备。</translation>
    </message>
    <message>
        <source>The device is not connected. Plug it in and click Retry, or choose another device.</source>
        <translation>设备未连接。请插上设备后点击“重试”，或选择其他设备。</translation>
    </message>
    <message>
        <source>The device is used by another program. Close that program, then click Retry.</source>
        <translation>设备正被其他程序使用。请关闭该程序，然后点击“重试”。</translation>
    </message>
    <message>
        <source>The device was unplugged or stopped. Plug it back in and click Retry; attempts already saved are safe.</source>
        <translation>设备已拔出或停止工作。请重新插好后点击“重试”；已保存的测试不受影响。</translation>
    </message>
    <message>
        <source>The device sends no picture. Check its cable and that no other program uses it, then click Retry.</source>
        <translation>设备没有画面。请检查连接线，并确认没有其他程序在使用它，然后点击“重试”。</translation>
    </message>
    <message>
        <source>The file cannot be played. Choose another file or device.</source>
        <translation>无法播放该文件。请选择其他文件或设备。</translation>
    </message>
    <message>
        <source>The device setting is not valid. Choose a device in Settings.</source>
        <translation>设备设置无效。请在设置中选择设备。</translation>
    </message>
    <message>
        <source>The device stopped. Click Retry, or choose another device.</source>
        <translation>设备已停止。请点击“重试”，或选择其他设备。</translation>
    </message>
    <message>
        <source>{advice}
Details: {details}</source>
        <translation>{advice}
详细信息：{details}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Looking for devices…</source>
        <translation>正在查找设备…</translation>
    </message>
    <message>
        <source>No device found</source>
        <translation>未找到设备</translation>
    </message>
    <message>
        <source>Choose a scoring model</source>
        <translation>选择评分模型</translation>
    </message>
    <message>
        <source>KineScore models (*.pt *.onnx)</source>
        <translation>KineScore 模型 (*.pt *.onnx)</translation>
    </message>
    <message>
        <source>Each grade&apos;s minimum score must be lower than the one above it.</source>
        <translation>每个等级的最低分必须低于上一等级。</translation>
    </message>
    <message>
        <source>KineScore settings</source>
        <translation>KineScore 设置</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Connected:</source>
        <translation>已连接：</translation>
    </message>
    <message>
        <source>Use:</source>
        <translation>使用：</translation>
    </message>
    <message>
        <source>e.g. simulator, webcam:0, kinect:0, replay:/path/attempt.ksr</source>
        <translation>例如 simulator、webcam:0、kinect:0、replay:/路径/attempt.ksr</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Scoring model</source>
        <translation>评分模型</translation>
    </message>
    <message>
        <source>Bundled model: {path}</source>
        <translation>内置模型：{path}</translation>
    </message>
    <message>
        <source>No bundled model installed</source>
        <translation>未安装内置模型</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Use bundled</source>
        <translation>使用内置模型</translation>
    </message>
    <message>
        <source>Grade thresholds (minimum score)</source>
        <translation>等级分数线（最低分）</translation>
    </message>
    <message>
        <source>Restore the school&apos;s defaults</source>
        <translation>恢复学校默认值</translation>
    </message>
    <message>
        <source>Language and privacy</source>
        <translation>语言与隐私</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Save:</source>
        <translation>保存内容：</translation>
    </message>
    <message>
        <source>Skeleton only (recommended, no pictures of students)</source>
        <translation>仅骨架（推荐，不保存学生图像）</translation>
    </message>
    <message>
        <source>Skeleton and colour video</source>
        <translation>骨架和彩色视频</translation>
    </message>
</context>
<context>
    <name>SkeletonView</name>
    <message>
        <source>Nobody in view: ask the student to step into the picture</source>
        <translation>画面中没有人：请学生站到画面中</translation>
    </message>
</context>
<context>
    <name>Texts</name>
    <message>
        <source>Standing long jump</source>
        <translation>立定跳远</translation>
    </message>
    <message>
        <source>Sit-ups</source>
        <translation>仰卧起坐</translation>
    </message>
    <message>
        <source>Free throw</source>
        <translation>篮球罚球</translation>
    </message>
    <message>
        <source>Overhead pass</source>
        <translation>排球上手传球</translation>
    </message>
    <message>
        <source>Long jump</source>
        <translation>立定跳远</translation>
    </message>
    <message>
        <source>Pre-swing</source>
        <translation>预摆</translation>
    </message>
    <message>
        <source>Take-off</source>
        <translation>起跳</translation>
    </message>
    <message>
        <source>Flight</source>
        <translation>腾空</translation>
    </message>
    <message>
        <source>Landing</source>
        <translation>落地</translation>
    </message>
    <message>
        <source>Lying</source>
        <translation>仰卧</translation>
    </message>
    <message>
        <source>Curl-up</source>
        <translation>卷腹起身</translation>
    </message>
    <message>
        <source>Top</source>
        <translation>坐起</translation>
    </message>
    <message>
        <source>Return</source>
        <translation>还原</translation>
    </message>
    <message>
        <source>Set</source>
        <translation>持球准备</translation>
    </message>
    <message>
        <source>Dip</source>
        <translation>屈膝下沉</translation>
    </message>
    <message>
        <source>Release</source>
        <translation>出手</translation>
    </message>
    <message>
        <source>Follow-through</source>
        <translation>跟随</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>准备</translation>
    </message>
    <message>
        <source>Move under</source>
        <translation>移动到位</translation>
    </message>
    <message>
        <source>Contact</source>
        <translation>触球</translation>
    </message>
    <message>
        <source>Extension</source>
        <translation>伸展</translation>
    </message>
    <message>
        <source>Excellent</source>
        <translation>优秀</translation>
    </message>
    <message>
        <source>Good</source>
        <translation>良好</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中等</translation>
    </message>
    <message>
        <source>Pass</source>
        <translation>及格</translation>
    </message>
    <message>
        <source>Fail</source>
        <translation>不及格</translation>
    </message>
    <message>
        <source>pelvis</source>
        <translation>骨盆</translation>
    </message>
    <message>
        <source>right hip</source>
        <translation>右髋</translation>
    </message>
    <message>
        <source>right knee</source>
        <translation>右膝</translation>
    </message>
    <message>
        <source>right ankle</source>
        <translation>右踝</translation>
    </message>
    <message>
        <source>left hip</source>
        <translation>左髋</translation>
    </message>
    <message>
        <source>left knee</source>
        <translation>左膝</translation>
    </message>
    <message>
        <source>left ankle</source>
        <translation>左踝</translation>
    </message>
    <message>
        <source>spine</source>
        <translation>脊柱</translation>
    </message>
    <message>
        <source>chest</source>
        <translation>胸部</translation>
    </message>
    <message>
        <source>neck</source>
        <translation>颈部</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头部</translation>
    </message>
    <message>
        <source>left shoulder</source>
        <translation>左肩</translation>
    </message>
    <message>
        <source>left elbow</source>
        <translation>左肘</translation>
    </message>
    <message>
        <source>left wrist</source>
        <translation>左腕</translation>
    </message>
    <message>
        <source>right shoulder</source>
        <translation>右肩</translation>
    </message>
    <message>
        <source>right elbow</source>
        <translation>右肘</translation>
    </message>
    <message>
        <source>right wrist</source>
        <translation>右腕</translation>
    </message>
    <message>
        <source>Choose a student and click Start (Space)</source>
        <translation>请选择学生并点击开始（空格）</translation>
    </message>
    <message>
        <source>Waiting for the student to keep still…</source>
        <translation>等待学生保持静止…</translation>
    </message>
    <message>
        <source>Ready: the attempt starts when the student moves</source>
        <translation>准备就绪：学生开始动作即开始测试</translation>
    </message>
    <message>
        <source>Attempt under way</source>
        <translation>测试进行中</translation>
    </message>
    <message>
        <source>Scoring and saving…</source>
        <translation>正在评分并保存…</translation>
    </message>
    <message>
        <source>Attempt finished</source>
        <translation>测试结束</translation>
    </message>
    <message>
        <source>Stopped before an attempt started</source>
        <translation>测试开始前已停止</translation>
    </message>
    <message>
        <source>ended when the student came to rest</source>
        <translation>学生停止动作后结束</translation>
    </message>
    <message>
        <source>stopped by the teacher</source>
        <translation>由教师停止</translation>
    </message>
    <message>
        <source>reached the maximum duration</source>
        <translation>达到最长时间</translation>
    </message>
    <message>
        <source>the student left the picture</source>
        <translation>学生离开了画面</translation>
    </message>
    <message>
        <source>Practise the {stage} stage: it scored below the rest</source>
        <translation>多练习“{stage}”阶段：该阶段得分低于其他阶段</translation>
    </message>
</context>
</TS>
